import { Socket } from 'node:net';
import { type ConsumerEvent, type Logger, silentLogger } from '@idem/core';

/**
 * The child side of a fixture process (a service script under test/fixtures/): how it reads its
 * configuration and what it prints, the same for both adapters' fixtures, so the parent side
 * (start-fixture-process.ts) and the shared scenarios can read any of them.
 */

/** The environment variable `name`; throws, naming it, when it is missing or empty. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${process.argv[1] ?? 'fixture'} needs ${name}`);
  return value;
}

/** The environment variable `name` as a number, `fallback` when it is unset. */
export function numberEnv(name: string, fallback: number): number {
  const value = process.env[name];
  return value === undefined || value === '' ? fallback : Number(value);
}

/** A logger that prints info, warn and error lines on stdout as `WARN <message>`, for tests that read them. */
export function printingLogger(): Logger {
  const printAs =
    (level: string) =>
    (_fields: unknown, message: string): void => {
      process.stdout.write(`${level} ${message}\n`);
    };
  return { debug() {}, info: printAs('INFO'), warn: printAs('WARN'), error: printAs('ERROR') };
}

/** {@link printingLogger} with IDEM_TEST_LOG=1, so a test sees that the service noticed an outage; silent otherwise. */
export function fixtureLogger(): Logger {
  return process.env.IDEM_TEST_LOG === '1' ? printingLogger() : silentLogger;
}

let stdoutBlocks = false;

/**
 * Makes `process.stdout.write` return only once the line is in the pipe to the parent. Node
 * writes to a pipe without blocking: when the parent (a test runner on a loaded machine) reads
 * slower than the child prints and the pipe's buffer is full, `write` returns with the line
 * still queued in this process, the consumer goes on to ack the message, and a SIGKILL then
 * loses the line while the ack stands: the parent's ledger counts a message that was settled
 * as never settled. Blocking, a printed line is in the kernel's pipe buffer, which outlives
 * this process. Node has no public API for it: `setBlocking` is the pipe handle's
 * `uv_stream_set_blocking`. A file (synchronous already) or a TTY needs nothing.
 */
export function makeStdoutBlocking(): void {
  if (stdoutBlocks) return;
  const stdout: unknown = process.stdout;
  if (stdout instanceof Socket && !process.stdout.isTTY) {
    const handle = (stdout as { _handle?: { setBlocking?: (blocking: boolean) => number } })._handle;
    if (typeof handle?.setBlocking !== 'function') {
      throw new Error('cannot make stdout blocking: this Node has no setBlocking on its pipe handle');
    }
    const status = handle.setBlocking(true);
    if (status !== 0) throw new Error(`cannot make stdout blocking: libuv error ${status}`);
  }
  stdoutBlocks = true;
}

/**
 * Prints one line per consumer event as it happens: `R <count>` (received),
 * `S <outcome> <attempt> <messageId> <key>` (settled), `A <count>` (ack failed). The runtime
 * emits `settled` before it acks, and stdout blocks (`makeStdoutBlocking`), so the line of an
 * acked message reaches the parent even if the process is SIGKILLed right after.
 */
export function printEvent(event: ConsumerEvent): void {
  makeStdoutBlocking();
  if (event.type === 'received') process.stdout.write(`R ${event.count}\n`);
  else if (event.type === 'ack-failed') process.stdout.write(`A ${event.count}\n`);
  else {
    const { message, result } = event;
    const key = message.keys[0] ?? message.messageId;
    process.stdout.write(`S ${result.outcome} ${message.deliveryAttempt} ${message.messageId} ${key}\n`);
  }
}

/** What {@link serveUntilSigterm} runs: a consumer, or a relay. */
export interface FixtureService {
  start(): Promise<void>;
  stop(): Promise<void>;
  health(): { readonly outcomes?: unknown };
}

/** Options of {@link serveUntilSigterm}. */
export interface ServeOptions {
  /** Called once `stop()` has returned, before the pool is closed. */
  readonly onStopped?: () => void;
  /**
   * Stops at once after printing `ready`, without a signal: in the same tick as start()'s
   * return, as a service that decides to stop right away would, before its first receive is out.
   */
  readonly stopWhenReady?: boolean;
}

/**
 * Starts `service`, prints `ready`, and on SIGTERM stops it, closes `db` and prints `stopped
 * <outcomes>`. Never calls process.exit: the tests check that the process ends by itself.
 */
export async function serveUntilSigterm(
  service: FixtureService,
  db: { destroy(): Promise<void> },
  options: ServeOptions = {},
): Promise<void> {
  const stop = (): void => {
    service
      .stop()
      .then(() => {
        options.onStopped?.();
        return db.destroy();
      })
      .then(() => process.stdout.write(`stopped ${JSON.stringify(service.health().outcomes ?? {})}\n`))
      .catch((error: unknown) => process.stderr.write(`stop failed: ${String(error)}\n`));
  };
  process.once('SIGTERM', stop);
  await service.start();
  process.stdout.write('ready\n');
  if (options.stopWhenReady === true) stop();
}
