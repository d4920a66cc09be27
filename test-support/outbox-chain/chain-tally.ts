import type { ConsumerEvent } from '@idem/core';

/** One consumer event as a chain service prints it: `R <count>`, `S <outcome> <duplicate kind>`, `A <count>`. */
export function formatChainEvent(event: ConsumerEvent): string {
  if (event.type === 'received') return `R ${event.count}`;
  if (event.type === 'ack-failed') return `A ${event.count}`;
  const { result } = event;
  return `S ${result.outcome} ${result.outcome === 'duplicate' ? result.duplicateKind : '-'}`;
}

/**
 * What the services of one hop did, summed over every process that ran it (a killed one
 * included: its lines reached the test before the kill).
 */
export class ChainTally {
  delivered = 0;
  processed = 0;
  /** Deliveries skipped because their key was processed: the broker delivered the same message again. */
  redeliveriesSkipped = 0;
  /** Skipped because a new message carried a processed key: a re-send (by the outbox, after a crash). */
  resendsSkipped = 0;
  failed = 0;
  deadLettered = 0;
  ackFailures = 0;

  /** Counts one stdout line of a chain service; other lines are ignored. */
  readonly onLine = (line: string): void => {
    const [type, first, second] = line.split(' ');
    if (type === 'R') this.delivered += Number(first);
    else if (type === 'A') this.ackFailures += Number(first);
    else if (type !== 'S') return;
    else if (first === 'processed') this.processed += 1;
    else if (first === 'failed') this.failed += 1;
    else if (first === 'dead-lettered') this.deadLettered += 1;
    else if (second === 'redelivery') this.redeliveriesSkipped += 1;
    else this.resendsSkipped += 1;
  };

  get duplicatesSkipped(): number {
    return this.redeliveriesSkipped + this.resendsSkipped;
  }
}

/** Event lines are many: a process's kept output leaves them out. */
export function isChainEventLine(line: string): boolean {
  return /^[RSA] /.test(line);
}
