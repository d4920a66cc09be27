import type { Logger } from '../logger.js';

/** The state an {@link OutageTracker} reports. */
export interface OutageState {
  readonly up: boolean;
  /** When the current state began; `undefined` before the first report. */
  readonly since: Date | undefined;
}

/**
 * Turns a stream of successes and failures against one dependency (broker, database) into two
 * log lines per outage: a warning when it starts and an info line with its length when it ends.
 * Retries in between log nothing: an upgrade must not flood the logs.
 */
export class OutageTracker {
  #up = true;
  #since: Date | undefined;
  #outages = 0;
  #failingSince: number | undefined;

  /**
   * @param graceMs - failures are an outage only once they have lasted this long (or repeated
   *   after it): one reset connection is not worth two log lines.
   */
  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly fields: Record<string, unknown> = {},
    private readonly graceMs = 1000,
  ) {}

  /** Reports a successful call. Logs the end of an outage if one was running. */
  succeeded(): void {
    this.#failingSince = undefined;
    if (this.#up) {
      this.#since ??= new Date();
      return;
    }
    const downMs = Date.now() - (this.#since?.getTime() ?? Date.now());
    this.#up = true;
    this.#since = new Date();
    this.logger.info(
      { ...this.fields, outageMs: downMs },
      `${this.what} is reachable again after ${(downMs / 1000).toFixed(1)} s`,
    );
  }

  /** Reports a failed call. Logs the start of an outage if none was running. */
  failed(error: unknown): void {
    if (!this.#up) return;
    const now = Date.now();
    this.#failingSince ??= now;
    if (now - this.#failingSince < this.graceMs) return;
    this.#up = false;
    this.#since = new Date(this.#failingSince);
    this.#outages += 1;
    this.logger.warn(
      { ...this.fields, error: error instanceof Error ? error.message : String(error) },
      `${this.what} is unreachable; retrying quietly until it is back`,
    );
  }

  get state(): OutageState {
    return { up: this.#up, since: this.#since };
  }

  /** How many outages began since the tracker was created. */
  get outages(): number {
    return this.#outages;
  }
}
