import { sql } from 'kysely';
import type { EffectsDatabase } from '../../../../test-support/effects/effects-database.js';
import { type DeliveryLedger, settledCount } from '../support/delivery-ledger.js';
import type { ChaosOptions } from './chaos-options.js';
import type { ChaosReport } from './chaos-report.js';
import type { ChaosWorkload } from './chaos-workload.js';

/** What a finished chaos run leaves behind, for {@link collectChaosReport}. */
export interface ChaosRunFacts {
  readonly options: ChaosOptions;
  readonly db: EffectsDatabase;
  readonly group: string;
  readonly ledger: DeliveryLedger;
  readonly workload: ChaosWorkload;
  /** The message id the producer got back for each message of the workload, in order. */
  readonly messageIds: readonly string[];
  readonly publishMs: number;
  readonly uncleanExits: readonly string[];
  readonly brokerRestarts: readonly string[];
  readonly consumerKills: number;
  readonly postgresRestarts: number;
  readonly events: readonly string[];
  readonly wallMs: number;
}

/** Reads the effects and Idem's tables and adds up the consumers' event lines into a report. */
export async function collectChaosReport(facts: ChaosRunFacts): Promise<ChaosReport> {
  const { db, ledger, workload } = facts;
  const effectRows = (
    await sql<{ key: string; n: string }>`select key, count(*) as n from effects group by key`.execute(db.db)
  ).rows;
  const effectCounts = new Map(effectRows.map((row) => [row.key, Number(row.n)]));
  const missing: string[] = [];
  for (let index = 0; index < workload.orders; index += 1) {
    if (!effectCounts.has(`order-${index}`)) missing.push(`order-${index}`);
  }
  // Which message id won each key tells a redelivery from a producer-side re-send.
  const winners = new Map(
    (
      await sql<{ idempotency_key: string; message_id: string }>`
        select idempotency_key, message_id from processed_keys where consumer_group = ${facts.group}`.execute(
        db.db,
      )
    ).rows.map((row) => [row.idempotency_key, row.message_id]),
  );
  const duplicates = ledger.deliveries.filter((delivery) => delivery.outcome === 'duplicate');
  const redeliveries = duplicates.filter((delivery) => winners.get(delivery.key) === delivery.messageId);
  const resent = duplicates.filter((delivery) => winners.get(delivery.key) !== delivery.messageId);
  const settledIds = new Set(ledger.deliveries.map((delivery) => delivery.messageId));
  const sum = (pick: Parameters<DeliveryLedger['total']>[0]): number => ledger.total(pick);
  return {
    options: facts.options,
    orders: workload.orders,
    resends: workload.resendIndexes.size,
    published: workload.messages.length,
    publishMs: facts.publishMs,
    distinctMessageIds: new Set(facts.messageIds).size,
    received: sum((incarnation) => incarnation.received),
    settled: sum(settledCount),
    processed: sum((incarnation) => incarnation.settled.processed),
    duplicate: sum((incarnation) => incarnation.settled.duplicate),
    failed: sum((incarnation) => incarnation.settled.failed),
    deadLettered: sum((incarnation) => incarnation.settled['dead-lettered']),
    abandoned: sum((incarnation) =>
      incarnation.killed ? incarnation.received - settledCount(incarnation) : 0,
    ),
    attemptsAboveOne: ledger.deliveries.filter((delivery) => delivery.attempt > 1).length,
    redeliveries: redeliveries.length,
    resentDuplicates: resent.length,
    resentDistinctIds: new Set(resent.map((delivery) => delivery.messageId)).size,
    ackFailures: sum((incarnation) => incarnation.ackFailures),
    effects: await db.effectCount(),
    distinctEffectKeys: effectCounts.size,
    missingKeys: missing.slice(0, 20),
    missingCount: missing.length,
    doubledKeys: await db.duplicateEffects(),
    deadLetters: (await db.deadLetterReasons()).length,
    processedRows: winners.size,
    confirmedNeverSettled: facts.messageIds.filter((id) => !settledIds.has(id)).length,
    unsettledSurvivors: ledger.incarnations
      .filter((incarnation) => !incarnation.killed && settledCount(incarnation) !== incarnation.received)
      .map((incarnation) => `${incarnation.name} (${settledCount(incarnation)} of ${incarnation.received})`),
    uncleanExits: facts.uncleanExits,
    brokerRestarts: facts.brokerRestarts,
    consumerKills: facts.consumerKills,
    postgresRestarts: facts.postgresRestarts,
    longestPauseMs: ledger.longestPauseMs,
    wallMs: facts.wallMs,
    events: facts.events,
    incarnations: ledger.incarnations.map((incarnation) => ({
      name: incarnation.name,
      received: incarnation.received,
      settled: { ...incarnation.settled },
      killed: incarnation.killed,
    })),
  };
}
