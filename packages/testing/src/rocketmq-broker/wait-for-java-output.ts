import { setTimeout as sleep } from 'node:timers/promises';
import type { JavaProcess } from './java-process.js';
import { describeLogTails } from './log-tail.js';
import { RocketMQBrokerError } from './rocketmq-broker-error.js';

/** Options of {@link waitForJavaOutput}. */
export interface WaitForJavaOutputOptions {
  /** What is starting, for error messages ("the name server"). */
  readonly what: string;
  /** Printed by the JVM once it is up. */
  readonly ready: RegExp;
  readonly timeoutMs: number;
  /** Log files whose tails go into the error when it fails. */
  readonly logFiles: readonly string[];
}

// A stack trace head at the start of a line: the startup classes print fatal errors this way
// and may keep the JVM alive afterwards, so waiting for the exit alone would hang until the timeout.
const FATAL_OUTPUT = /^(?:Exception in thread .*|[\w.$]+(?:Exception|Error)(?::.*)?)$/m;
const PORT_IN_USE = /Address already in use|BindException/;

/**
 * Waits until a starting JVM prints its ready line. Fails fast with `PORT_IN_USE` or
 * `BROKER_START_FAILED` when it exits or prints a fatal error first, and with
 * `BROKER_START_TIMEOUT` after `timeoutMs`; every error carries the tails of the logs.
 */
export async function waitForJavaOutput(
  process: JavaProcess,
  options: WaitForJavaOutputOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const output = await process.readOutput();
    if (options.ready.test(output)) return;
    const fatal = FATAL_OUTPUT.exec(output);
    if (!process.isRunning() || fatal !== null) {
      const logs = await describeLogTails([process.outputFile, ...options.logFiles]);
      const how = process.isRunning() ? `printed ${fatal?.[0] ?? 'an error'}` : 'exited';
      throw new RocketMQBrokerError(
        PORT_IN_USE.test(output + logs) ? 'PORT_IN_USE' : 'BROKER_START_FAILED',
        `${options.what} (pid ${process.pid}) ${how} while starting.\n${logs}`,
      );
    }
    if (Date.now() > deadline) {
      const logs = await describeLogTails([process.outputFile, ...options.logFiles]);
      throw new RocketMQBrokerError(
        'BROKER_START_TIMEOUT',
        `${options.what} (pid ${process.pid}) was not ready after ${options.timeoutMs} ms ` +
          `(waiting for ${String(options.ready)}). The machine may be overloaded: raise startTimeoutMs.\n${logs}`,
      );
    }
    await sleep(200);
  }
}
