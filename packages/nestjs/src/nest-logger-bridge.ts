import { type LogFields, type Logger, logFieldsJson } from '@idem/core';
import { type LoggerService, Logger as NestLogger } from '@nestjs/common';

/** Options of {@link nestLoggerBridge}. */
export interface NestLoggerBridgeOptions {
  /** Where the lines go. Default `new Logger('Idem')` of `@nestjs/common`. */
  readonly logger?: LoggerService;
  /**
   * Pass Idem's debug lines (one per message, and the RocketMQ client's chatter) as Nest
   * `debug`. Default false, like pino's default `info` level: Nest prints every level unless
   * the application restricts `logLevels`.
   */
  readonly debug?: boolean;
}

/**
 * An Idem {@link Logger} that writes through Nest's logging, so Idem's lines (consumer started
 * and stopped, one line per outage) follow the application's logger configuration: its format,
 * its levels, `logger: false`. The structured fields are appended to the message as JSON, errors
 * with their message, code, stack and cause.
 *
 * The module's default logger; pass a pino logger as `logger` to keep the fields structured.
 */
export function nestLoggerBridge(options: NestLoggerBridgeOptions = {}): Logger {
  const logger = options.logger ?? new NestLogger('Idem');
  const line = (fields: LogFields, message: string): string =>
    Object.keys(fields).length === 0 ? message : `${message} ${logFieldsJson(fields)}`;
  return {
    debug: options.debug === true ? (fields, message) => logger.debug?.(line(fields, message)) : () => {},
    info: (fields, message) => logger.log(line(fields, message)),
    warn: (fields, message) => logger.warn(line(fields, message)),
    error: (fields, message) => logger.error(line(fields, message)),
  };
}
