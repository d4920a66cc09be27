import { MqHttpPeerError } from './mq-http-peer-error.js';

const CHECK_INTERVAL_MS = 20;
const DEFAULT_TIMEOUT_MS = 10_000;

/** What {@link ConditionWaiters.wait} waits for. */
export interface ConditionWait {
  readonly condition: () => boolean;
  readonly timeoutMs: number | undefined;
  /** Tells why it timed out, evaluated then (e.g. how many messages are still pending). */
  readonly describe: () => string;
}

/**
 * Waits for conditions on the peer's state: checked at once, on every state change and every
 * 20 ms (a delivery changes state without an event). `stop()` rejects every wait.
 */
export class ConditionWaiters {
  private readonly stops = new Set<() => void>();

  constructor(private readonly onChange: (listener: () => void) => () => void) {}

  async wait(wait: ConditionWait): Promise<void> {
    const timeoutMs = wait.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new MqHttpPeerError(
        'INVALID_OPTIONS',
        `timeoutMs must be a finite number >= 0, got ${timeoutMs}`,
      );
    }
    if (wait.condition()) return;
    await new Promise<void>((resolve, reject) => {
      const finish = (error?: unknown): void => {
        clearInterval(interval);
        clearTimeout(timeout);
        unsubscribe();
        this.stops.delete(stop);
        if (error === undefined) resolve();
        else reject(error);
      };
      const check = (): void => {
        try {
          if (wait.condition()) finish();
        } catch (error) {
          finish(error);
        }
      };
      const stop = (): void =>
        finish(new MqHttpPeerError('STOPPED', 'the MQ HTTP peer was stopped during the wait'));
      const interval = setInterval(check, CHECK_INTERVAL_MS);
      const timeout = setTimeout(
        () =>
          finish(new MqHttpPeerError('WAIT_TIMEOUT', `gave up after ${timeoutMs} ms: ${wait.describe()}`)),
        timeoutMs,
      );
      const unsubscribe = this.onChange(check);
      this.stops.add(stop);
    });
  }

  /** Rejects every wait in progress with `STOPPED`. */
  stop(): void {
    for (const stop of [...this.stops]) stop();
  }
}
