import { RocketMQPeerError } from './rocketmq-peer-error.js';

/** Inputs of {@link waitUntil}. */
export interface WaitUntilOptions {
  readonly timeoutMs: number;
  /** Registers a listener for state changes; returns the function that unregisters it. */
  readonly onChange: (listener: () => void) => () => void;
  /** Aborted when the peer stops. */
  readonly stopped: AbortSignal;
  /** Says what was awaited and what the state is, for the timeout error. */
  readonly describe: () => string;
}

/** How often the predicate is checked between state changes (time-dependent predicates). */
const POLL_MS = 20;

/**
 * Resolves once `predicate()` holds, checked at once, on every state change and every 20 ms;
 * rejects with `WAIT_TIMEOUT` or `PEER_STOPPED`. A predicate that throws rejects with its error.
 */
export function waitUntil(predicate: () => boolean, options: WaitUntilOptions): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (error?: Error): void => {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(timeout);
      unsubscribe();
      options.stopped.removeEventListener('abort', onStop);
      if (error === undefined) resolve();
      else reject(error);
    };
    const check = (): void => {
      try {
        if (predicate()) finish();
      } catch (error) {
        finish(error instanceof Error ? error : new Error(String(error)));
      }
    };
    const onStop = (): void =>
      finish(
        new RocketMQPeerError('PEER_STOPPED', `the peer stopped while waiting for ${options.describe()}`),
      );
    const poll = setInterval(check, POLL_MS);
    poll.unref();
    const timeout = setTimeout(() => {
      finish(
        new RocketMQPeerError(
          'WAIT_TIMEOUT',
          `timed out after ${options.timeoutMs} ms waiting for ${options.describe()}`,
        ),
      );
    }, options.timeoutMs);
    const unsubscribe = options.onChange(() => queueMicrotask(check));
    if (options.stopped.aborted) onStop();
    else options.stopped.addEventListener('abort', onStop);
    check();
  });
}
