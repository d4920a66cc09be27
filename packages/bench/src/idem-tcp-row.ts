import { createTcpConsumer } from '@idem/rocketmq-tcp';
import type { RocketMQPeer } from '@idem/testing';
import type { Kysely } from 'kysely';
import { type BenchDatabase, countEffects, resetTables } from './bench-database.js';
import { concurrencyOf, type RowPlan, rate, type ThroughputRow } from './bench-row.js';
import { createEffectHandlers } from './effect-handlers.js';
import { LatencyRecorder, summarise } from './latency.js';
import { publishOrders } from './publish-orders.js';

/** Options of {@link measureIdemTcp}. */
export interface IdemTcpRowOptions {
  /** Leave `processed_keys` as it is (the retention rows measure on a full table). */
  readonly keepProcessedKeys?: boolean;
  /** Started when the timed part starts; the function it returns is awaited when it ends. */
  readonly whileMeasuring?: () => () => Promise<void>;
}

/**
 * Idem through the real TCP client and the peer: warms up, empties the tables, then times from
 * publishing `messages` orders until the peer has every ack, and checks every effect was written.
 */
export async function measureIdemTcp(
  db: Kysely<BenchDatabase>,
  peer: RocketMQPeer,
  id: string,
  plan: RowPlan,
  options: IdemTcpRowOptions = {},
): Promise<ThroughputRow> {
  const topic = `bench-${id}`;
  const group = `bench-${id}`;
  const latencies = new LatencyRecorder();
  let measuring = false;
  const consumer = createTcpConsumer({
    endpoints: peer.endpoints,
    consumerGroup: group,
    db,
    handlers: [createEffectHandlers(topic)],
    mode: plan.mode,
    concurrency: concurrencyOf(plan),
    batchSize: plan.mode === 'batch' ? plan.parallelism : Math.min(plan.parallelism, 16),
    onEvent: (event) => {
      if (measuring && event.type === 'settled') latencies.record(event.result.durationMs);
    },
  });
  await consumer.start();
  try {
    publishOrders(peer, topic, `${id}-warmup`, plan.warmup);
    await peer.idle(group, { timeoutMs: 120_000 });
    await resetTables(db, options.keepProcessedKeys);
    measuring = true;
    const stopSideWork = options.whileMeasuring?.();
    const startedAt = performance.now();
    publishOrders(peer, topic, id, plan.messages);
    await peer.idle(group, { timeoutMs: 600_000 });
    const elapsedMs = performance.now() - startedAt;
    measuring = false;
    await stopSideWork?.();
    const effects = await countEffects(db);
    if (effects !== plan.messages)
      throw new Error(`idem ${id}: ${effects} effects for ${plan.messages} messages`);
    return {
      subject: 'idem',
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
