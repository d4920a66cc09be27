// Against the real RocketMQ 5.5 proxy, rocketmq-client-nodejs's SimpleConsumer names queue 0 in
// its ReceiveMessage requests, but the proxy pops every queue of that broker: an Idem TCP
// consumer reads all queues of a multi-queue topic. Only the Node Producer is limited to queue 0,
// so this test fills the queues with RocketMQ's own Java producer.
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createEffectsDatabase,
  type EffectsDatabase,
} from '../../../test-support/effects/effects-database.js';
import { createTcpConsumer, type TcpConsumer } from '../src/index.js';
import { orderHandlersFor } from './support/order-handlers-for.js';
import { useRealBroker } from './support/real-broker.js';
import { sendOverEveryQueue } from './support/send-over-every-queue.js';

const QUEUES = 8;
const MESSAGES = 240;

describe('createTcpConsumer on a multi-queue topic of a real RocketMQ 5 broker', () => {
  const brokerFor = useRealBroker();
  let database: EffectsDatabase | undefined;
  const consumers: TcpConsumer[] = [];

  afterAll(async () => {
    for (const consumer of consumers) await consumer.stop();
    await database?.drop();
  });

  it('processes every message of all 8 queues exactly once, shared by two consumers of one group', async (ctx) => {
    const broker = brokerFor(ctx);
    const namesrvAddress = broker.namesrvAddress;
    if (namesrvAddress === undefined) {
      ctx.skip('the external broker has no ROCKETMQ_NAMESRV_ADDR for the Java producer');
      return;
    }
    const suffix = randomBytes(4).toString('hex');
    const topic = `idem_queues_${suffix}`;
    const group = `idem_queues_${suffix}`;
    await broker.createTopic({ name: topic, queues: QUEUES });
    await broker.createGroup(group);
    database = await createEffectsDatabase();
    const db = database;
    const handlers = [orderHandlersFor(topic), orderHandlersFor(topic)];
    for (const handler of handlers) {
      const consumer = createTcpConsumer({
        endpoints: broker.endpoints,
        consumerGroup: group,
        db: db.db,
        schema: db.schema,
        handlers: [handler],
        // The proxy rejects invisible durations under 10 s and clamps long polls to 5-20 s.
        invisibleDurationMs: 10_000,
        longPollingTimeoutMs: 5000,
      });
      consumers.push(consumer);
      await consumer.start();
    }

    const queueIds = await sendOverEveryQueue(namesrvAddress, topic, MESSAGES);
    expect(queueIds).toHaveLength(MESSAGES);
    expect(new Set(queueIds)).toEqual(new Set(Array.from({ length: QUEUES }, (_, id) => id)));

    await expect.poll(() => db.effectCount(), { timeout: 120_000, interval: 200 }).toBe(MESSAGES);
    // Stopping finishes and acks what is in flight; a duplicate effect would show after that.
    for (const consumer of consumers.splice(0)) await consumer.stop();
    expect(await db.effectCount()).toBe(MESSAGES);
    expect(await db.duplicateEffects()).toEqual([]);
    const calls = handlers.map((handler) => handler.controls.calls);
    console.log(`handler calls per consumer: ${calls.join(', ')}; queues: ${QUEUES}, messages: ${MESSAGES}`);
    for (const count of calls) expect(count).toBeGreaterThan(0);
  }, 300_000);
});
