import type { Logger } from '../logger.js';

/** The state an {@link OutageTracker} reports. */
export interface OutageState {
  readonly up: boolean;
  /** When the current state began; `undefined` before the first report. */
  readonly since: Date | undefined;
}

/** How long a state must hold before the tracker believes it. */
export interface OutageTrackerTiming {
  /** Failures are an outage only once they have lasted this long: one reset is not an outage. */
  readonly graceMs?: number;
  /**
   * An outage ends only once calls have succeeded, with no failure between, for this long: a
   * broker coming back flaps (connected, then refused while it loads) and must not log twice.
   */
  readonly stableMs?: number;
}

/** How one outage is told in its two log lines, when "unreachable" is not what happened. */
export interface OutageWording {
  /** The warn line, its cause first, e.g. `Idem's tables are missing (...); consumption paused`. */
  readonly down: string;
  /** What is true again when it ends, e.g. `Idem's tables are usable`; "again after N s" follows. */
  readonly up: string;
}

/**
 * Turns a stream of successes and failures against one dependency (broker, database) into two
 * log lines per outage: a warning when it starts and an info line with its length when it ends.
 * Retries in between log nothing: an upgrade must not flood the logs.
 */
export class OutageTracker {
  readonly #graceMs: number;
  readonly #stableMs: number;
  #up = true;
  #since: Date | undefined;
  #outages = 0;
  #failingSince: number | undefined;
  #succeedingSince: number | undefined;
  #upWording: string | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
    private readonly fields: Record<string, unknown> = {},
    timing: OutageTrackerTiming = {},
  ) {
    this.#graceMs = timing.graceMs ?? 1000;
    this.#stableMs = timing.stableMs ?? 2000;
  }

  /** Reports a successful call. Logs the end of an outage once successes have held. */
  succeeded(): void {
    this.#failingSince = undefined;
    if (this.#up) {
      this.#since ??= new Date();
      return;
    }
    const now = Date.now();
    this.#succeedingSince ??= now;
    if (now - this.#succeedingSince < this.#stableMs) return;
    const downMs = this.#succeedingSince - (this.#since?.getTime() ?? this.#succeedingSince);
    this.#up = true;
    this.#since = new Date(this.#succeedingSince);
    this.#succeedingSince = undefined;
    this.logger.info(
      { ...this.fields, outageMs: downMs },
      `${this.#upWording ?? `${this.what} is reachable`} again after ${(downMs / 1000).toFixed(1)} s`,
    );
  }

  /**
   * Reports a failed call. Logs the start of an outage once failures have lasted, worded by
   * `wording` when given (the cause is not always that the dependency is unreachable).
   */
  failed(error: unknown, wording?: OutageWording): void {
    this.#succeedingSince = undefined;
    if (!this.#up) return;
    const now = Date.now();
    this.#failingSince ??= now;
    if (now - this.#failingSince < this.#graceMs) return;
    this.#up = false;
    this.#since = new Date(this.#failingSince);
    this.#outages += 1;
    this.#upWording = wording?.up;
    this.logger.warn(
      { ...this.fields, err: error },
      wording?.down ?? `${this.what} is unreachable; retrying quietly until it is back`,
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
