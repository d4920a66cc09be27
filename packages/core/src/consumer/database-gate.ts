import type { IdemError } from '../errors.js';
import type { Logger } from '../logger.js';
import { type Backoff, createBackoff, sleep } from './backoff.js';
import { describeDatabaseFault } from './describe-database-fault.js';
import { OutageTracker } from './outage-tracker.js';
import { waitOrAbort } from './race-abort.js';

/**
 * Pauses consumption while the database is at fault. Closed by the first infrastructure failure;
 * while closed, it probes with growing delays (capped at `maxProbeDelayMs`) and opens again
 * when the probe passes. Messages wait instead of failing, so no delivery attempt is burnt and
 * nothing reaches a dead-letter queue because Postgres blinked.
 */
export class DatabaseGate {
  readonly #tracker: OutageTracker;
  readonly #backoff: Backoff;
  #open = true;
  #waiters: (() => void)[] = [];
  #probing: Promise<void> | undefined;

  constructor(
    private readonly probe: () => Promise<IdemError | undefined>,
    logger: Logger,
    private readonly stopSignal: AbortSignal,
    options: { readonly maxProbeDelayMs?: number; readonly fields?: Record<string, unknown> } = {},
  ) {
    // No grace period: the gate closes only on a failure already classified as the database's.
    this.#tracker = new OutageTracker(logger, 'Postgres', options.fields, { graceMs: 0, stableMs: 0 });
    this.#backoff = createBackoff({ initialMs: 100, maxMs: options.maxProbeDelayMs ?? 2000 });
  }

  get isOpen(): boolean {
    return this.#open;
  }

  get tracker(): OutageTracker {
    return this.#tracker;
  }

  /** Reports that the database failed a dispatch: closes the gate until a probe passes. */
  close(error: IdemError): void {
    this.#tracker.failed(error, describeDatabaseFault(error));
    if (!this.#open) return;
    this.#open = false;
    this.#probing ??= this.#probeUntilOpen().finally(() => {
      this.#probing = undefined;
    });
  }

  /** Reports a dispatch that reached the database. */
  succeeded(): void {
    if (this.#open) this.#tracker.succeeded();
  }

  /** Resolves when the gate is open, or when consumption stops. */
  async whenOpen(): Promise<void> {
    if (this.#open || this.stopSignal.aborted) return;
    await waitOrAbort(this.stopSignal, (wake) => this.#waiters.push(wake));
  }

  async #probeUntilOpen(): Promise<void> {
    this.#backoff.reset();
    while (!this.stopSignal.aborted) {
      await sleep(this.#backoff.next(), this.stopSignal);
      if (this.stopSignal.aborted) break;
      if ((await this.probe()) === undefined) {
        this.#open = true;
        this.#tracker.succeeded();
        break;
      }
    }
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}
