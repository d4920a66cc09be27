/**
 * The parent's record of what consumer child processes did, read from their event lines
 * (fixtures/consumer-process.ts with IDEM_TEST_EVENTS=1) as they arrive, so a SIGKILLed child's
 * counts survive it.
 */
export interface Incarnation {
  readonly name: string;
  received: number;
  readonly settled: Record<'processed' | 'duplicate' | 'failed' | 'dead-lettered', number>;
  ackFailures: number;
  /** True once the child was SIGKILLed: received and not settled deliveries were abandoned. */
  killed: boolean;
}

/** One settled delivery. */
export interface SettledDelivery {
  readonly outcome: string;
  readonly attempt: number;
  readonly messageId: string;
  readonly key: string;
}

/** Counts per child incarnation plus every settled delivery and the longest gap between them. */
export class DeliveryLedger {
  readonly incarnations: Incarnation[] = [];
  readonly deliveries: SettledDelivery[] = [];
  processedKeys = 0;
  #lastSettledAt: number | undefined;
  longestPauseMs = 0;

  /** A line handler for a new child incarnation called `name`. */
  track(name: string): { incarnation: Incarnation; onLine: (line: string) => void } {
    const incarnation: Incarnation = {
      name,
      received: 0,
      settled: { processed: 0, duplicate: 0, failed: 0, 'dead-lettered': 0 },
      ackFailures: 0,
      killed: false,
    };
    this.incarnations.push(incarnation);
    const onLine = (line: string): void => {
      const [kind, first, attempt, messageId, key] = line.split(' ');
      if (kind === 'R') incarnation.received += Number(first);
      else if (kind === 'A') incarnation.ackFailures += Number(first);
      else if (kind === 'S' && first !== undefined && messageId !== undefined && key !== undefined) {
        if (first in incarnation.settled) incarnation.settled[first as keyof Incarnation['settled']] += 1;
        if (first === 'processed') this.processedKeys += 1;
        this.deliveries.push({ outcome: first, attempt: Number(attempt), messageId, key });
        const now = Date.now();
        if (this.#lastSettledAt !== undefined) {
          this.longestPauseMs = Math.max(this.longestPauseMs, now - this.#lastSettledAt);
        }
        this.#lastSettledAt = now;
      }
    };
    return { incarnation, onLine };
  }

  /** Milliseconds since the last settled delivery (0 before the first). */
  quietForMs(): number {
    return this.#lastSettledAt === undefined ? 0 : Date.now() - this.#lastSettledAt;
  }

  /** Sum of a counter over all incarnations. */
  total(pick: (incarnation: Incarnation) => number): number {
    return this.incarnations.reduce((sum, incarnation) => sum + pick(incarnation), 0);
  }
}

/** Settled deliveries of an incarnation. */
export function settledCount(incarnation: Incarnation): number {
  return Object.values(incarnation.settled).reduce((sum, count) => sum + count, 0);
}
