import { ExponentialBackoff, type IBackoff } from 'cockatiel';

/** A sequence of growing, jittered delays that starts over after {@link Backoff.reset}. */
export interface Backoff {
  /** The next delay in milliseconds. */
  next(): number;
  reset(): void;
}

/**
 * Exponential backoff with decorrelated jitter (cockatiel's), capped at `maxMs` so that work
 * resumes within `maxMs` of the failing party coming back.
 */
export function createBackoff(options: { readonly initialMs: number; readonly maxMs: number }): Backoff {
  const factory = new ExponentialBackoff({ initialDelay: options.initialMs, maxDelay: options.maxMs });
  let current: IBackoff<unknown> | undefined;
  return {
    next() {
      current = current === undefined ? factory.next() : current.next(undefined);
      return current.duration;
    },
    reset() {
      current = undefined;
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts; never keeps the process alive. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return;
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    timer.unref();
    signal?.addEventListener('abort', done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
