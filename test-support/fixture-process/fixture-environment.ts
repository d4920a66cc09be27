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

/**
 * Prints one line per consumer event as it happens: `R <count>` (received),
 * `S <outcome> <attempt> <messageId> <key>` (settled), `A <count>` (ack failed). Writes to a
 * pipe are synchronous on Linux, so a line printed before a SIGKILL reaches the parent.
 */
export function printEvent(event: ConsumerEvent): void {
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
