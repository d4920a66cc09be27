import { ExponentialBackoff, type IBackoff } from 'cockatiel';
import { waitOrAbort } from './race-abort.js';

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

/**
 * Resolves after `ms`, or at once when `signal` aborts (its listener and timer are then gone).
 * The timer keeps the process alive like any other: a consumer waiting out an outage is
 * working, and a sleep that let the process end would end the service with exit code 0.
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal === undefined) {
    await new Promise<void>((resolve) => setTimeout(resolve, ms));
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  await waitOrAbort(signal, (wake) => {
    timer = setTimeout(wake, ms);
  });
  clearTimeout(timer);
}
