/**
 * Resolves like `work`, or with `onAbort()` as soon as `signal` aborts, whichever comes first.
 * The abort listener is removed when the race ends: consumers wait on one long-lived stop
 * signal many times a second, and a listener left behind per wait is a leak that grows without
 * bound (100,000 of them held ~17 MB). Every wait on a stop signal goes through here.
 *
 * `work` is not cancelled; a caller that owns cancellable work (a gRPC call, a socket) cancels
 * it itself when the signal aborts.
 */
export async function raceAbort<T, A = T>(
  work: Promise<T>,
  signal: AbortSignal,
  onAbort: () => A,
): Promise<T | A> {
  if (signal.aborted) {
    // The losing work may still reject later; nobody awaits it, so keep that from being unhandled.
    work.catch(() => {});
    return onAbort();
  }
  let listener: (() => void) | undefined;
  const aborted = new Promise<A>((resolve) => {
    listener = () => resolve(onAbort());
    signal.addEventListener('abort', listener, { once: true });
  });
  try {
    return await Promise.race([work, aborted]);
  } finally {
    if (listener !== undefined) signal.removeEventListener('abort', listener);
  }
}

/**
 * Resolves when `register` calls its `wake` argument, or when `signal` aborts; the abort
 * listener is removed either way (see {@link raceAbort}).
 */
export async function waitOrAbort(signal: AbortSignal, register: (wake: () => void) => void): Promise<void> {
  await raceAbort(new Promise<void>((resolve) => register(resolve)), signal, () => undefined);
}
