/**
 * Resolves like `work`, or with `onTimeout()` once `ms` have passed, whichever comes first; the
 * timer is cleared as soon as the race ends. A bound on a wait that finished early must not hold
 * the process: a `Promise.race` with a bare `sleep(30_000)` kept a stopped consumer's process
 * alive for the whole bound after `stop()` had returned.
 *
 * `work` is not cancelled when the time is up; if it rejects later, nobody hears of it.
 */
export async function raceTimeout<T, A = T>(
  work: Promise<T>,
  ms: number,
  onTimeout: () => A,
): Promise<T | A> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<A>((resolve) => {
    timer = setTimeout(() => resolve(onTimeout()), ms);
  });
  work.catch(() => {});
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}
