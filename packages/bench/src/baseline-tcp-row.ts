import type { Kysely } from 'kysely';
import type pg from 'pg';
import { startBaselineConsumer } from './baseline-consumer.js';
import type { BenchBroker } from './bench-broker.js';
import { type BenchDatabase, countEffects, resetTables } from './bench-database.js';
import { concurrencyOf, type RowPlan, rate, type ThroughputRow } from './bench-row.js';
import { LatencyRecorder, summarise } from './latency.js';
import { untilConsumed, waitUntil } from './until-consumed.js';

/**
 * The consumer without Idem through the same client and broker, timed as {@link measureIdemTcp}
 * is. With `subject: 'broker'` it writes nothing: receive and ack alone, the most any consumer
 * on this client and broker can do (the broker floor).
 */
export async function measureBaselineTcp(
  db: Kysely<BenchDatabase>,
  pool: pg.Pool,
  broker: BenchBroker,
  id: string,
  plan: RowPlan & { readonly subject: 'baseline' | 'broker' },
): Promise<ThroughputRow> {
  const topic = `bench-${id}`;
  const group = `bench-${id}`;
  const latencies = new LatencyRecorder();
  let measuring = false;
  let acked = 0;
  const writes = plan.subject === 'baseline';
  await broker.prepare(topic, group);
  const consumer = await startBaselineConsumer({
    endpoints: broker.endpoints,
    topic,
    group,
    pool: writes ? pool : undefined,
    mode: plan.mode,
    concurrency: concurrencyOf(plan),
    batchSize: plan.mode === 'batch' ? plan.parallelism : Math.min(plan.parallelism, 16),
    onDispatched: (ms) => {
      if (measuring) latencies.record(ms);
    },
    onAcked: (count) => {
      acked += count;
    },
  });
  try {
    await broker.publishOrders(topic, `${id}-warmup`, plan.warmup);
    await untilConsumed(broker, group, () => acked, plan.warmup, 120_000);
    // The peer can report a group idle a moment before the consumer hears its last ack answered.
    await waitUntil(() => acked >= plan.warmup, 60_000, `${id}: warm-up acks`);
    await resetTables(db);
    acked = 0;
    measuring = true;
    const startedAt = performance.now();
    await broker.publishOrders(topic, id, plan.messages);
    await untilConsumed(broker, group, () => acked, plan.messages, 600_000);
    await waitUntil(() => acked >= plan.messages, 60_000, `${id}: acks`);
    const elapsedMs = performance.now() - startedAt;
    measuring = false;
    const done = writes ? await countEffects(db) : acked;
    if (done !== plan.messages) {
      throw new Error(
        `${plan.subject} ${id}: ${done} ${writes ? 'effects' : 'acks'} for ${plan.messages} messages`,
      );
    }
    return {
      subject: plan.subject,
      mode: plan.mode,
      parallelism: plan.parallelism,
      messages: plan.messages,
      seconds: elapsedMs / 1000,
      messagesPerSecond: rate(plan.messages, elapsedMs),
      latency: summarise(latencies),
    };
  } finally {
    await consumer.stop();
  }
}
