/** A hold on the process's event loop, from {@link keepProcessAlive}. */
export interface ProcessKeepAlive {
  /** Lets the process end once nothing else holds it. Safe to call more than once. */
  release(): void;
}

// Longest delay Node accepts for a timer (2^31 - 1 ms); a longer one fires after 1 ms.
const MAX_TIMER_DELAY_MS = 2_147_483_647;

/**
 * Keeps the process running until `release()` is called, whatever else holds it or not.
 *
 * A started consumer must outlive any outage. While the broker or Postgres is down, nothing of
 * the consumer's may hold the event loop: the broker client and the pool have closed their
 * sockets, and the loop waits on promises and backoff timers. Without this hold, a single
 * `unref()` anywhere on that path ends the service with exit code 0 in the middle of an outage
 * (issue 11: ~8 s after the broker went away). One ref'd handle owned by the runtime from
 * `start()` until `stop()` makes that structural instead of depending on every timer.
 */
export function keepProcessAlive(): ProcessKeepAlive {
  // A ref'd timer is the cheapest handle that holds the loop; it never fires in practice.
  const timer = setInterval(() => {}, MAX_TIMER_DELAY_MS);
  return {
    release() {
      clearInterval(timer);
    },
  };
}
