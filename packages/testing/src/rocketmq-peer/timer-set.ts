/**
 * The timers of one server generation, all unref'd, so that a restart or `stop()` can cancel
 * every pending delayed response and wake-up at once.
 */
export class TimerSet {
  readonly #timers = new Set<NodeJS.Timeout>();

  setTimeout(callback: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      callback();
    }, ms);
    timer.unref();
    this.#timers.add(timer);
    return timer;
  }

  clear(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.#timers.delete(timer);
  }

  /** Resolves after `ms`; never resolves when the set is cleared first (the generation is gone). */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.setTimeout(resolve, ms);
    });
  }

  clearAll(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
