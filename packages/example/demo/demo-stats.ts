import type { ConsumerEvent } from '@idem/core';

/** What the demo counts from the consumer's events. */
export class DemoStats {
  received = 0;
  processed = 0;
  redeliveries = 0;
  producerResends = 0;
  failed = 0;
  deadLettered = 0;
  longestPauseMs = 0;
  /** The last handler failure, to show what went wrong. */
  lastFailure: string | undefined;
  #lastSettledAt: number | undefined;

  readonly onEvent = (event: ConsumerEvent): void => {
    if (event.type === 'received') this.received += event.count;
    if (event.type !== 'settled') return;
    const now = Date.now();
    if (this.#lastSettledAt !== undefined)
      this.longestPauseMs = Math.max(this.longestPauseMs, now - this.#lastSettledAt);
    this.#lastSettledAt = now;
    const { result } = event;
    if (result.outcome === 'processed') this.processed += 1;
    else if (result.outcome === 'failed') {
      this.failed += 1;
      this.lastFailure = result.error.message;
    } else if (result.outcome === 'dead-lettered') this.deadLettered += 1;
    else if (result.duplicateKind === 'redelivery') this.redeliveries += 1;
    else this.producerResends += 1;
  };

  get duplicates(): number {
    return this.redeliveries + this.producerResends;
  }
}
