/** What {@link longPoll} needs to know. */
export interface LongPollOptions<T> {
  /** Absolute ms after which an empty answer is given. */
  readonly deadline: number;
  /** Takes what is deliverable now; an empty array means nothing yet. */
  readonly attempt: () => T[];
  /** The next moment something becomes deliverable without any request (invisible time ends). */
  readonly nextWakeAt: () => number | undefined;
  /** Subscribes to state changes (publish, ack); returns the unsubscribe function. */
  readonly onChange: (listener: () => void) => () => void;
  /** Aborts the wait: the promise rejects with the signal's reason. */
  readonly signal: AbortSignal;
  /** Told `true` when the request starts waiting with nothing to deliver, `false` when it wakes. */
  readonly onHold?: (held: boolean) => void;
}

/**
 * Holds a consume request until something is deliverable or the deadline passes, as the real
 * service does: the SDK's consumer loops re-poll immediately, so answering early would spin.
 * Wakes on every state change and at the moment an invisible message comes back.
 */
export async function longPoll<T>(options: LongPollOptions<T>): Promise<T[]> {
  for (;;) {
    options.signal.throwIfAborted();
    const taken = options.attempt();
    const now = Date.now();
    if (taken.length > 0 || now >= options.deadline) return taken;
    const wakeAt = Math.min(options.deadline, options.nextWakeAt() ?? options.deadline);
    options.onHold?.(true);
    await new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        unsubscribe();
        options.signal.removeEventListener('abort', wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, wakeAt - now));
      const unsubscribe = options.onChange(wake);
      options.signal.addEventListener('abort', wake, { once: true });
    });
    options.onHold?.(false);
  }
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export async function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
