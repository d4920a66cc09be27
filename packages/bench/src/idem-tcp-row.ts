import type { Kysely } from 'kysely';
import type { BenchBroker } from './bench-broker.js';
import { type BenchDatabase, countEffects, resetTables } from './bench-database.js';
import { type RowPlan, rate, type ThroughputRow } from './bench-row.js';
import { createIdemBenchConsumer } from './idem-bench-consumer.js';
import { LatencyRecorder, summarise } from './latency.js';
import { untilConsumed } from './until-consumed.js';

/** Options of {@link measureIdemTcp}. */
export interface IdemTcpRowOptions {
  /** Leave `processed_keys` as it is (the retention rows measure on a full table). */
  readonly keepProcessedKeys?: boolean;
  /** Started when the timed part starts; the function it returns is awaited when it ends. */
  readonly whileMeasuring?: () => () => Promise<void>;
}

/**
 * Idem through the real TCP client and the broker process: warms up, empties the tables, then
 * times from publishing `messages` orders until the peer has every ack (on the real broker:
 * until every effect is committed), and checks every effect was written.
 */
export async function measureIdemTcp(
  db: Kysely<BenchDatabase>,
  broker: BenchBroker,
  id: string,
  plan: RowPlan,
  options: IdemTcpRowOptions = {},
): Promise<ThroughputRow> {
  const topic = `bench-${id}`;
  const group = `bench-${id}`;
  const latencies = new LatencyRecorder();
  let measuring = false;
  await broker.prepare(topic, group);
  const consumer = createIdemBenchConsumer(
    db,
    { endpoint: broker.endpoints, topic, group },
    plan,
    (event) => {
      if (measuring && event.type === 'settled') latencies.record(event.result.durationMs);
    },
  );
  await consumer.start();
  const effects = (): Promise<number> => countEffects(db);
  try {
    // Empty first: on the real broker the warm-up is over when its effects are all there.
    await resetTables(db, options.keepProcessedKeys);
    await broker.publishOrders(topic, `${id}-warmup`, plan.warmup);
    await untilConsumed(broker, group, effects, plan.warmup, 120_000);
    await resetTables(db, options.keepProcessedKeys);
    measuring = true;
    const stopSideWork = options.whileMeasuring?.();
    const startedAt = performance.now();
    await broker.publishOrders(topic, id, plan.messages);
    await untilConsumed(broker, group, effects, plan.messages, 600_000);
    const elapsedMs = performance.now() - startedAt;
    measuring = false;
    await stopSideWork?.();
    const written = await effects();
    if (written !== plan.messages)
      throw new Error(`idem ${id}: ${written} effects for ${plan.messages} messages`);
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
