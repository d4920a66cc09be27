import { waitOrAbort } from '../consumer/race-abort.js';

/**
 * A wake-up call that is never lost: a `wake()` made while nobody waits makes the next `wait()`
 * return at once, so a commit notified while the relay was busy sending is still picked up.
 */
export class RelayWakeup {
  #pending = false;
  #waiters: (() => void)[] = [];

  wake(): void {
    this.#pending = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  /**
   * Resolves on a wake-up (or one made since the last wait), after `timeoutMs`, or when `signal`
   * aborts. The timer keeps the process alive: a relay waiting for work is running.
   */
  async wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    if (!this.#pending) {
      let timer: NodeJS.Timeout | undefined;
      let waiter: (() => void) | undefined;
      await waitOrAbort(signal, (wake) => {
        waiter = wake;
        this.#waiters.push(wake);
        timer = setTimeout(wake, timeoutMs);
      });
      clearTimeout(timer);
      this.#waiters = this.#waiters.filter((other) => other !== waiter);
    }
    this.#pending = false;
  }
}
