import type { MessageProducer } from '@idem/core';
import { createTcpConsumer, createTcpProducer } from '@idem/rocketmq-tcp';
import { type Kysely, sql } from 'kysely';
import type { BenchBroker } from './bench-broker.js';
import { type BenchDatabase, countEffects, resetTables } from './bench-database.js';
import { concurrencyOf, type RowPlan, rate, type ThroughputRow } from './bench-row.js';
import { LatencyRecorder, type LatencySummary, summarise } from './latency.js';
import { type OutboxBacklog, OutboxBacklogSampler } from './outbox-backlog.js';
import { createOutboxHandlers } from './outbox-handlers.js';
import { untilConsumed, waitUntil } from './until-consumed.js';

/** An outbox row: Idem's row with a handler that also sends one message through `ctx.send`. */
export interface OutboxThroughputRow extends ThroughputRow {
  readonly subject: 'outbox';
  /** From the settled event right after a message's commit to the broker's confirmation of its send. */
  readonly commitToAck: LatencySummary;
  readonly backlog: OutboxBacklog;
}

/**
 * Idem's row with the outbox: the consumer has a TCP producer to the same peer, so each commit
 * hands its row to the consumer's relay at once. Timed like Idem's row (publishing until the peer
 * has every ack of the incoming messages), then waits until the broker confirmed every outgoing
 * message, measuring how long that took after the last ack and how many rows waited meanwhile.
 */
export async function measureIdemOutbox(
  db: Kysely<BenchDatabase>,
  peer: BenchBroker,
  id: string,
  plan: RowPlan,
): Promise<OutboxThroughputRow> {
  const topic = `bench-${id}`;
  const outTopic = `bench-${id}-billed`;
  const group = `bench-${id}`;
  const latencies = new LatencyRecorder();
  const commitToAck = new LatencyRecorder();
  const committedAt = new Map<string, number>();
  let measuring = false;
  let confirmed = 0;
  const producer = confirmations(createTcpProducer({ endpoints: peer.endpoints }), (key, at) => {
    confirmed += 1;
    // The outgoing key is `<consumer group>/<incoming key>/<topic>/1`.
    const committed = committedAt.get(key.slice(group.length + 1, key.length - outTopic.length - 3));
    if (committed !== undefined) commitToAck.record(at - committed);
  });
  const consumer = createTcpConsumer({
    endpoints: peer.endpoints,
    consumerGroup: group,
    db,
    handlers: [createOutboxHandlers(topic, outTopic)],
    mode: plan.mode,
    concurrency: concurrencyOf(plan),
    batchSize: plan.mode === 'batch' ? plan.parallelism : Math.min(plan.parallelism, 16),
    producer,
    onEvent: (event) => {
      if (!measuring || event.type !== 'settled' || event.result.outcome !== 'processed') return;
      latencies.record(event.result.durationMs);
      const key = event.message.keys[0];
      if (key !== undefined) committedAt.set(key, performance.now());
    },
  });
  await consumer.start();
  // Rounds of a row reuse the topics: count only what this round sent.
  const sentBefore = await peer.count(outTopic);
  try {
    await peer.publishOrders(topic, `${id}-warmup`, plan.warmup);
    await untilConsumed(peer, group, () => countEffects(db), plan.warmup, 120_000);
    await waitUntil(() => confirmed >= plan.warmup, 120_000, `${id}: warm-up sends`);
    await resetTables(db);
    confirmed = 0;
    measuring = true;
    const sampler = new OutboxBacklogSampler(db as unknown as Kysely<unknown>, 200);
    const startedAt = performance.now();
    await peer.publishOrders(topic, id, plan.messages);
    await untilConsumed(peer, group, () => countEffects(db), plan.messages, 600_000);
    const elapsedMs = performance.now() - startedAt;
    measuring = false;
    const pendingAtEnd = await pendingRows(db);
    await waitUntil(() => confirmed >= plan.messages, 300_000, `${id}: every outgoing message confirmed`);
    const drainMs = performance.now() - startedAt - elapsedMs;
    const backlog = await sampler.finish(pendingAtEnd, drainMs, concurrencyOf(plan));
    const effects = await countEffects(db);
    if (effects !== plan.messages)
      throw new Error(`outbox ${id}: ${effects} effects for ${plan.messages} messages`);
    const sent = (await peer.count(outTopic)) - sentBefore - plan.warmup;
    if (sent < plan.messages) throw new Error(`outbox ${id}: ${sent} messages sent for ${plan.messages}`);
    return {
      subject: 'outbox',
      mode: plan.mode,
      parallelism: plan.parallelism,
      messages: plan.messages,
      seconds: elapsedMs / 1000,
      messagesPerSecond: rate(plan.messages, elapsedMs),
      latency: summarise(latencies),
      commitToAck: summarise(commitToAck),
      backlog,
    };
  } finally {
    await consumer.stop();
  }
}

/** `producer`, reporting each confirmed message's first key and when the confirmation came. */
function confirmations(
  producer: MessageProducer,
  onConfirmed: (key: string, at: number) => void,
): MessageProducer {
  return {
    description: producer.description,
    start: () => producer.start(),
    stop: () => producer.stop(),
    async send(messages, options) {
      const outcomes = await producer.send(messages, options);
      const at = performance.now();
      outcomes.forEach((outcome, index) => {
        const key = messages[index]?.keys[0];
        if (outcome.status === 'sent' && key !== undefined) onConfirmed(key, at);
      });
      return outcomes;
    },
  };
}

async function pendingRows(db: Kysely<BenchDatabase>): Promise<number> {
  const result = await sql<{ n: string }>`select count(*) as n from idem.outbox`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}
