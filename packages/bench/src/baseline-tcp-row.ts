import type { RocketMQPeer } from '@idem/testing';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { startBaselineConsumer } from './baseline-consumer.js';
import { type BenchDatabase, countEffects, resetTables } from './bench-database.js';
import { concurrencyOf, type RowPlan, rate, type ThroughputRow } from './bench-row.js';
import { LatencyRecorder, summarise } from './latency.js';
import { publishOrders } from './publish-orders.js';

/** The baseline consumer through the same client and peer, timed as {@link measureIdemTcp} is. */
export async function measureBaselineTcp(
  db: Kysely<BenchDatabase>,
  pool: pg.Pool,
  peer: RocketMQPeer,
  id: string,
  plan: RowPlan,
): Promise<ThroughputRow> {
  const topic = `bench-${id}`;
  const group = `bench-${id}`;
  const latencies = new LatencyRecorder();
  let measuring = false;
  const consumer = await startBaselineConsumer({
    endpoints: peer.endpoints,
    topic,
    group,
    pool,
    mode: plan.mode,
    concurrency: concurrencyOf(plan),
    batchSize: plan.mode === 'batch' ? plan.parallelism : Math.min(plan.parallelism, 16),
    onDispatched: (ms) => {
      if (measuring) latencies.record(ms);
    },
  });
  try {
    publishOrders(peer, topic, `${id}-warmup`, plan.warmup);
    await peer.idle(group, { timeoutMs: 120_000 });
    await resetTables(db);
    measuring = true;
    const startedAt = performance.now();
    publishOrders(peer, topic, id, plan.messages);
    await peer.idle(group, { timeoutMs: 600_000 });
    const elapsedMs = performance.now() - startedAt;
    measuring = false;
    const effects = await countEffects(db);
    if (effects !== plan.messages) {
      throw new Error(`baseline ${id}: ${effects} effects for ${plan.messages} messages`);
    }
    return {
      subject: 'baseline',
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
