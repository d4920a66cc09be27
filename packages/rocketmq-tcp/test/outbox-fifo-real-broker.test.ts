// Issue 12, test 5: commit order per message group survives the whole way out of the outbox and
// back in through a real RocketMQ 5 broker: transactions racing on the same groups ->
// sendInTransaction -> createOutboxRelay with createTcpProducer -> a FIFO topic (the Node
// Producer writes its queue 0 only) -> a FIFO consumer group -> Idem's consumer.
import { randomBytes } from 'node:crypto';
import { createOutboxRelay, sendInTransaction } from '@idem/core';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEffectsDatabase,
  type EffectsDatabase,
} from '../../../test-support/effects/effects-database.js';
import { createTcpConsumer, createTcpProducer } from '../src/index.js';
import { orderHandlersFor } from './support/order-handlers-for.js';
import { useRealBroker } from './support/real-broker.js';

const GROUPS = 50;
const PER_GROUP = 40;
/** Writers per message group, racing: commit order is decided by Postgres, not by the test. */
const WRITERS_PER_GROUP = 2;

describe('the outbox on a real RocketMQ 5 broker', () => {
  const brokerFor = useRealBroker();
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  it('delivers 50 message groups x 40 messages to a FIFO consumer in commit order per group', async (ctx) => {
    const broker = brokerFor(ctx);
    const suffix = randomBytes(4).toString('hex');
    const topic = `idem_outbox_fifo_${suffix}`;
    const group = `idem_outbox_fifo_${suffix}`;
    await broker.createTopic({ name: topic, type: 'FIFO' });
    await broker.createGroup({ name: group, fifo: true });
    const database = await createEffectsDatabase();
    cleanups.push(() => database.drop());
    // The commit log: a row written after sendInTransaction, which holds the group's lock until
    // COMMIT, so the log's sequence orders each group's transactions as they committed.
    await sql`create table commit_log (seq bigserial, message_group text not null, key text not null)`.execute(
      database.db,
    );

    const relay = createOutboxRelay({
      db: database.db,
      schema: database.schema,
      producer: createTcpProducer({ endpoints: broker.endpoints, topics: [topic] }),
      listenConnectionString: database.url,
      pollIntervalMs: 1000,
    });
    await relay.start();
    cleanups.push(() => relay.stop());
    const consumer = createTcpConsumer({
      endpoints: broker.endpoints,
      consumerGroup: group,
      db: database.db,
      schema: database.schema,
      handlers: [orderHandlersFor(topic)],
      concurrency: 32,
      invisibleDurationMs: 10_000,
      longPollingTimeoutMs: 5000,
    });
    await consumer.start();
    cleanups.push(() => consumer.stop());

    // The relay and the consumer run while the writers commit, so heads are claimed as they land.
    await writeRacingTransactions(database, topic);
    const total = GROUPS * PER_GROUP;
    await waitFor(
      async () => (await database.effectCount()) >= total && consumer.health().inFlight === 0,
      240_000,
      () => `effects ${JSON.stringify(consumer.health().outcomes)}, relay ${JSON.stringify(relay.health())}`,
    );

    expect(await database.effectCount()).toBe(total);
    expect(await database.duplicateEffects()).toEqual([]);
    expect(await database.deadLetterReasons()).toEqual([]);
    expect(await pendingOutboxRows(database)).toBe(0);
    const committed = await keysByGroup(database, 'commit_log');
    const arrived = await keysByGroup(database, 'effects');
    expect(committed.size).toBe(GROUPS);
    for (const [messageGroup, keys] of committed) {
      expect(keys).toHaveLength(PER_GROUP);
      expect(arrived.get(messageGroup), messageGroup).toEqual(keys);
    }
    // Both writers of a group interleave, or the test would only show one writer's order.
    const interleaved = [...committed.values()].filter((keys) => switches(keys) > 1).length;
    console.warn(
      `outbox FIFO on the real broker: ${total} messages in ${GROUPS} groups, ${interleaved} groups with interleaved writers, relay sent ${relay.health().sent}, consumer ${JSON.stringify(consumer.health().outcomes)}`,
    );
    expect(interleaved).toBeGreaterThan(0);
  }, 400_000);

  /**
   * Each group has {@link WRITERS_PER_GROUP} writers committing one message per transaction, all
   * groups at once over a pool of 10 connections.
   */
  async function writeRacingTransactions(database: EffectsDatabase, topic: string): Promise<void> {
    const perWriter = PER_GROUP / WRITERS_PER_GROUP;
    const writer = async (groupIndex: number, writerIndex: number): Promise<void> => {
      const messageGroup = `customer-${groupIndex}`;
      for (let n = 0; n < perWriter; n += 1) {
        const key = `${messageGroup}-w${writerIndex}-${n}`;
        await database.db.transaction().execute(async (trx) => {
          await sendInTransaction(
            trx,
            { topic, keys: [key], body: key, messageGroup },
            { schema: database.schema },
          );
          await sql`insert into commit_log (message_group, key) values (${messageGroup}, ${key})`.execute(
            trx,
          );
        });
      }
    };
    const writers: Promise<void>[] = [];
    for (let groupIndex = 0; groupIndex < GROUPS; groupIndex += 1) {
      for (let writerIndex = 0; writerIndex < WRITERS_PER_GROUP; writerIndex += 1) {
        writers.push(writer(groupIndex, writerIndex));
      }
    }
    await Promise.all(writers);
  }
});

async function keysByGroup(
  database: EffectsDatabase,
  table: 'commit_log' | 'effects',
): Promise<Map<string, string[]>> {
  const rows = (
    await sql<{ message_group: string; key: string }>`
      select message_group, key from ${sql.table(table)} order by seq`.execute(database.db)
  ).rows;
  const groups = new Map<string, string[]>();
  for (const row of rows) groups.set(row.message_group, [...(groups.get(row.message_group) ?? []), row.key]);
  return groups;
}

async function pendingOutboxRows(database: EffectsDatabase): Promise<number> {
  const result = await sql<{ n: string }>`select count(*) as n from outbox`.execute(database.db);
  return Number(result.rows[0]?.n ?? 0);
}

/** How often consecutive keys of a group come from different writers. */
function switches(keys: readonly string[]): number {
  let count = 0;
  for (let index = 1; index < keys.length; index += 1) {
    if (keys[index]?.split('-w')[1]?.[0] !== keys[index - 1]?.split('-w')[1]?.[0]) count += 1;
  }
  return count;
}

async function waitFor(
  condition: () => Promise<boolean>,
  timeoutMs: number,
  describeState: () => string,
): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > giveUpAt) throw new Error(`not done within ${timeoutMs} ms: ${describeState()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
