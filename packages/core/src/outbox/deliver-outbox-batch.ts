import type { Kysely } from 'kysely';
import { IdemError } from '../errors.js';
import type { Logger } from '../logger.js';
import { claimOutboxRows, markOutboxRowFailed, markOutboxRowsSent } from '../store/outbox-store.js';
import type { MessageProducer, SendOutcome } from './message-producer.js';

/** Counters a relay reports to; e.g. Prometheus counters. Must not throw. */
export interface OutboxRelayMetrics {
  /** Rows confirmed by the broker. */
  sent(count: number): void;
  /** Sends that failed: `permanent` when the rows were marked failed (not retried). */
  failed(count: number, permanent: boolean): void;
  /** A message group is held behind a row that failed for good. */
  groupHeld(messageGroup: string): void;
  /**
   * One row's lag from its write (its transaction's start, close to its commit) to the broker's
   * confirmation, in seconds; reported once the row is marked sent.
   */
  sentLag?(seconds: number): void;
}

/** What one relay round needs. */
export interface OutboxBatchContext {
  readonly db: Kysely<unknown>;
  readonly schema: string;
  readonly producer: MessageProducer;
  readonly batchSize: number;
  readonly keepSent: boolean;
  readonly logger: Logger;
  readonly metrics: OutboxRelayMetrics;
  readonly signal: AbortSignal;
}

/**
 * One relay round: claim due rows, send them, record each outcome, commit; resolves to how many
 * rows were claimed. The rows stay locked while the producer sends, so no other relay sends them
 * at the same time; if this process dies before COMMIT, the locks go with its connection and the
 * rows are sent again, with the same keys (at least once).
 */
export async function deliverOutboxBatch(context: OutboxBatchContext): Promise<number> {
  const { schema, producer, logger, metrics, signal } = context;
  const round = await context.db.transaction().execute(async (trx) => {
    const rows = await claimOutboxRows(trx, schema, context.batchSize);
    if (rows.length === 0) return { claimed: 0, sent: 0, retried: 0, failed: 0, held: [], lags: [] };
    const claimedAt = performance.now();
    const outcomes = await producer.send(
      rows.map((row) => row.message),
      { signal },
    );
    // The row's age by the database's clock at the claim, plus our own time since: no clock skew.
    const sendSeconds = (performance.now() - claimedAt) / 1000;
    const lags: number[] = [];
    const sent: { id: string; messageId: string }[] = [];
    let retried = 0;
    let failed = 0;
    const held: string[] = [];
    for (const [index, row] of rows.entries()) {
      const outcome: SendOutcome = outcomes[index] ?? {
        status: 'failed',
        error: new IdemError('SEND_FAILED', 'the producer returned no outcome for this message', {
          retryable: true,
        }),
      };
      if (outcome.status === 'sent') {
        sent.push({ id: row.message.id, messageId: outcome.messageId });
        lags.push(row.ageSeconds + sendSeconds);
        continue;
      }
      // Stopping: an unconfirmed send is neither a failure of the row nor an attempt.
      if (signal.aborted && outcome.error.retryable) continue;
      const { id, topic, messageGroup } = row.message;
      const reason = `${outcome.error.code}: ${outcome.error.message}`;
      if (outcome.error.retryable) {
        retried += 1;
        await markOutboxRowFailed(trx, schema, id, reason, retryDelayMs(row.attempts + 1));
        continue;
      }
      failed += 1;
      await markOutboxRowFailed(trx, schema, id, reason, undefined);
      logger.error(
        { schema, outboxId: id, topic, messageGroup, code: outcome.error.code, error: outcome.error.message },
        `outbox row ${id} to ${topic} failed for good; fix the cause, then \`idem outbox retry ${id}\``,
      );
      if (messageGroup !== undefined) {
        held.push(messageGroup);
        logger.warn(
          { schema, outboxId: id, messageGroup },
          `message group ${messageGroup} is held behind failed outbox row ${id}: its later messages wait, in order`,
        );
      }
    }
    await markOutboxRowsSent(trx, schema, sent, context.keepSent);
    return { claimed: rows.length, sent: sent.length, retried, failed, held, lags };
  });
  // Counted once committed: a round whose COMMIT failed is sent again and counted then.
  if (round.sent > 0) metrics.sent(round.sent);
  if (round.retried > 0) metrics.failed(round.retried, false);
  if (round.failed > 0) metrics.failed(round.failed, true);
  for (const group of round.held) metrics.groupHeld(group);
  for (const lag of round.lags) metrics.sentLag?.(lag);
  return round.claimed;
}

/** After the producer's own retries gave up: 1 s doubling per attempt, capped at 5 minutes. */
function retryDelayMs(attempt: number): number {
  return Math.min(1000 * 2 ** Math.min(attempt - 1, 20), 300_000);
}
