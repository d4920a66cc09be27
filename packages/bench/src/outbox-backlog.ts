import { type Kysely, sql } from 'kysely';

/** What the outbox held while a row ran: does the relay keep up with the consumer? */
export interface OutboxBacklog {
  /** Samples of unsent outbox rows taken during the timed part. */
  readonly samples: number;
  readonly maxPending: number;
  /** Mean unsent rows over the first and the second half of the timed part. */
  readonly meanPendingFirstHalf: number;
  readonly meanPendingSecondHalf: number;
  /** Unsent rows when the consumer had acked its last message. */
  readonly pendingAtEnd: number;
  /** From the consumer's last ack until the broker confirmed the last outgoing message. */
  readonly drainMs: number;
  /**
   * The backlog does not grow: the second half's mean is at most the first half's plus one
   * receive's worth of messages (what a consumer commits at once), and nothing is left over
   * that takes longer than a second to send after the last ack.
   */
  readonly keepsUp: boolean;
}

/** Counts unsent outbox rows every `everyMs` until stopped; the caller decides where halves split. */
export class OutboxBacklogSampler {
  readonly #values: number[] = [];
  #running = true;
  readonly #done: Promise<void>;

  constructor(db: Kysely<unknown>, everyMs = 100) {
    this.#done = (async () => {
      while (this.#running) {
        const result = await sql<{ n: string }>`select count(*) as n from idem.outbox`.execute(db);
        this.#values.push(Number(result.rows[0]?.n ?? 0));
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    })();
  }

  /** Stops sampling and summarises; `burst` is the messages a consumer commits at once. */
  async finish(pendingAtEnd: number, drainMs: number, burst: number): Promise<OutboxBacklog> {
    this.#running = false;
    await this.#done;
    return summariseBacklog(this.#values, pendingAtEnd, drainMs, burst);
  }
}

/** The verdict of {@link OutboxBacklog.keepsUp} from the samples. */
export function summariseBacklog(
  values: readonly number[],
  pendingAtEnd: number,
  drainMs: number,
  burst: number,
): OutboxBacklog {
  const half = Math.floor(values.length / 2);
  const mean = (part: readonly number[]): number =>
    part.length === 0 ? 0 : part.reduce((sum, value) => sum + value, 0) / part.length;
  const first = mean(values.slice(0, half));
  const second = mean(values.slice(half));
  return {
    samples: values.length,
    maxPending: Math.max(0, ...values),
    meanPendingFirstHalf: first,
    meanPendingSecondHalf: second,
    pendingAtEnd,
    drainMs,
    keepsUp: second <= first + burst && drainMs <= 1000,
  };
}
