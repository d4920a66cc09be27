import { format } from 'node:util';
import type { Logger } from '@idem/core';
import type { ILogger } from 'rocketmq-client-nodejs';

/**
 * The logger handed to rocketmq-client-nodejs. The client logs at `error` on every failed
 * receive and reconnect attempt, which would flood the logs during a broker upgrade: its lines go
 * to `debug`, and Idem's consumer reports the outage itself, once when it starts and once when it
 * ends. `close` does nothing: the client calls it on shutdown, and the logger is the user's.
 */
export function clientLogger(logger: Logger, fields: Record<string, unknown>): ILogger {
  const write = (level: string, args: unknown[]): void => {
    logger.debug({ ...fields, clientLevel: level }, format(...args));
  };
  return {
    info: (...args: unknown[]) => write('info', args),
    warn: (...args: unknown[]) => write('warn', args),
    error: (...args: unknown[]) => write('error', args),
    debug: (...args: unknown[]) => write('debug', args),
    close: () => {},
  };
}
