/**
 * Aborts `controller` when any of `signals` aborts, and returns the function that removes the
 * listeners again: the producer's stop signal lives as long as the producer, and a listener left
 * behind per send or per attempt would be a leak (see `raceAbort`).
 */
export function linkAbort(
  controller: AbortController,
  signals: readonly (AbortSignal | undefined)[],
): () => void {
  const abort = (): void => controller.abort();
  const linked = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  for (const signal of linked) {
    if (signal.aborted) controller.abort();
    else signal.addEventListener('abort', abort, { once: true });
  }
  return () => {
    for (const signal of linked) signal.removeEventListener('abort', abort);
  };
}
