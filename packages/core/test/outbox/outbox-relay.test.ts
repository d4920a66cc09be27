import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/create-database.js';
import { silentLogger } from '../../src/logger.js';
import {
  createOutboxRelay,
  type OutboxRelay,
  type OutboxRelayOptions,
} from '../../src/outbox/create-outbox-relay.js';
import type { ProducerMessage } from '../../src/outbox/outbound-message.js';
import { sendInTransaction } from '../../src/outbox/send-in-transaction.js';
import { outboxRows } from '../support/outbox-rows.js';
import { RecordingProducer } from '../support/recording-producer.js';
import { type TestDatabase, useTestDatabase } from '../support/test-database.js';

/** Inserts `count` rows to `topic` in one statement (the relay, not the insert, is under test). */
async function insertRows(database: TestDatabase, count: number, topic = 'bulk'): Promise<void> {
  await sql`
    insert into ${sql.table(`${database.schema}.outbox`)} (topic, keys, body)
    select ${topic}, array['k-' || g], convert_to('row ' || g, 'UTF8') from generate_series(1, ${count}) g`.execute(
    database.db,
  );
}

describe('createOutboxRelay', () => {
  const database = useTestDatabase();
  const relays: OutboxRelay[] = [];
  const pools: pg.Pool[] = [];

  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    await Promise.all(pools.splice(0).map((pool) => pool.end()));
  });

  async function startRelay(
    producer: RecordingProducer,
    options: Partial<OutboxRelayOptions> = {},
  ): Promise<OutboxRelay> {
    const { db, schema } = database();
    const { db: relayDb, ...rest } = options;
    const relay = createOutboxRelay({
      db: relayDb ?? (db as unknown as Kysely<unknown>),
      schema,
      producer,
      pollIntervalMs: 100,
      ...rest,
    });
    relays.push(relay);
    await relay.start();
    return relay;
  }

  it('delivers 10,000 rows through two relays on one database, none sent twice, both making progress', async () => {
    await insertRows(database(), 10_000);
    const ledger: ProducerMessage[] = [];
    const first = new RecordingProducer(ledger);
    const second = new RecordingProducer(ledger);
    const startedAt = performance.now();

    await Promise.all([startRelay(first), startRelay(second)]);
    await expect
      .poll(() => ledger.length, { timeout: 120_000, interval: 100 })
      .toBeGreaterThanOrEqual(10_000);
    const elapsedMs = performance.now() - startedAt;

    expect(ledger).toHaveLength(10_000);
    expect(new Set(ledger.map((message) => message.id)).size).toBe(10_000);
    expect(first.confirmed.length).toBeGreaterThan(0);
    expect(second.confirmed.length).toBeGreaterThan(0);
    await expect.poll(async () => (await outboxRows(database())).length).toBe(0);
    console.info(
      `outbox relay: 10,000 rows in ${Math.round(elapsedMs)} ms; relay A ${first.confirmed.length}, relay B ${second.confirmed.length}`,
    );
  });

  it('sends a row again, with the same key, when the relay dies between the send and the mark', async () => {
    const { url, schema } = database();
    const applicationName = `relay-${schema}`;
    const pool = new pg.Pool({ connectionString: url, max: 2, application_name: applicationName });
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    pools.push(pool);
    const relayDb = new Kysely<unknown>({ dialect: new PostgresDialect({ pool }) });
    await database()
      .db.transaction()
      .execute(async (trx) => {
        await sendInTransaction(trx, { topic: 'payments', keys: ['pay-1'], body: 'charge' }, { schema });
      });
    const producer = new RecordingProducer();
    let killed = false;
    producer.onSend = async () => {
      if (killed) return;
      killed = true;
      // The broker has the message; the relay's session dies before it can record that.
      await sql`select pg_terminate_backend(pid) from pg_stat_activity where application_name = ${applicationName}`.execute(
        database().db,
      );
    };

    await startRelay(producer, { db: relayDb });

    await expect.poll(async () => (await outboxRows(database())).length, { timeout: 10_000 }).toBe(0);
    expect(producer.confirmed.map((message) => message.keys)).toEqual([['pay-1'], ['pay-1']]);
    expect(producer.confirmed[0]?.id).toBe(producer.confirmed[1]?.id);
  });

  it('delivers each message group in commit order, one at a time, through two relays', async () => {
    const { db, schema } = database();
    const groups = Array.from({ length: 20 }, (_, index) => `customer-${index}`);
    for (let position = 0; position < 20; position += 1) {
      await db.transaction().execute(async (trx) => {
        for (const group of groups) {
          await sendInTransaction(
            trx,
            { topic: 'ledger', keys: [`${group}/${position}`], body: String(position), messageGroup: group },
            { schema },
          );
        }
      });
    }
    const ledger: ProducerMessage[] = [];
    let inFlightPerGroup = new Map<string, number>();
    let overlapped = false;
    const track = (producer: RecordingProducer) => {
      producer.onSend = async (messages) => {
        const seen = new Set<string>();
        for (const message of messages) {
          const group = message.messageGroup ?? '';
          if (seen.has(group) || (inFlightPerGroup.get(group) ?? 0) > 0) overlapped = true;
          seen.add(group);
        }
        inFlightPerGroup = new Map([...inFlightPerGroup, ...[...seen].map((group) => [group, 1] as const)]);
        await new Promise((resolve) => setImmediate(resolve));
        for (const group of seen) inFlightPerGroup.set(group, 0);
      };
      return producer;
    };

    await Promise.all([
      startRelay(track(new RecordingProducer(ledger))),
      startRelay(track(new RecordingProducer(ledger))),
    ]);
    await expect.poll(() => ledger.length, { timeout: 60_000 }).toBe(400);

    for (const group of groups) {
      const order = ledger
        .filter((message) => message.messageGroup === group)
        .map((message) => message.body.toString());
      expect(order).toEqual(Array.from({ length: 20 }, (_, position) => String(position)));
    }
    expect(overlapped).toBe(false);
  });

  it('marks a row the broker refuses as failed with the reason, holds its message group, and lets other topics through', async () => {
    const { db, schema } = database();
    const send = async (topic: string, key: string, messageGroup?: string) =>
      await db.transaction().execute(async (trx) => {
        await sendInTransaction(
          trx,
          { topic, keys: [key], body: key, ...(messageGroup === undefined ? {} : { messageGroup }) },
          { schema },
        );
      });
    await send('no-such-topic', 'lost-1');
    await send('no-such-topic', 'lost-2', 'g1');
    await send('orders', 'after-lost-2', 'g1');
    await send('orders', 'fine-1');
    await send('orders', 'fine-2', 'g2');
    const producer = new RecordingProducer();
    producer.rejectedTopics.add('no-such-topic');
    const held: string[] = [];
    const failures: boolean[] = [];
    const warnings: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn: (_fields: unknown, message: string) => warnings.push(message),
      error() {},
    };

    await startRelay(producer, {
      logger,
      metrics: {
        sent() {},
        failed: (_count, permanent) => failures.push(permanent),
        groupHeld: (group) => held.push(group),
      },
    });

    await expect
      .poll(() => producer.confirmed.map((message) => message.keys[0]).sort())
      .toEqual(['fine-1', 'fine-2']);
    await expect
      .poll(async () => (await outboxRows(database())).map((row) => [row.keys[0], row.status]))
      .toEqual([
        ['lost-1', 'failed'],
        ['lost-2', 'failed'],
        ['after-lost-2', 'pending'],
      ]);
    const rows = await outboxRows(database());
    expect(rows[0]?.last_error).toBe('MESSAGE_REJECTED: topic no-such-topic does not exist');
    expect(rows[0]?.attempts).toBe(1);
    expect(held).toEqual(['g1']);
    expect(failures.every((permanent) => permanent)).toBe(true);
    expect(warnings.some((line) => line.includes('message group g1 is held behind failed outbox row'))).toBe(
      true,
    );
  });

  it('wakes on NOTIFY when a row commits, long before its poll interval', async () => {
    const { db, schema, url } = database();
    const producer = new RecordingProducer();
    const relay = await startRelay(producer, { pollIntervalMs: 60_000, listenConnectionString: url });
    await expect.poll(() => relay.health().listening).toBe(true);
    // Let the rounds the start and the LISTEN connection triggered run, so only NOTIFY is left.
    await expect.poll(() => relay.health().database.since).toBeInstanceOf(Date);

    await db.transaction().execute(async (trx) => {
      await sendInTransaction(trx, { topic: 'orders', keys: ['o-1'], body: '{}' }, { schema });
    });

    await expect.poll(() => producer.confirmed.map((message) => message.keys[0])).toEqual(['o-1']);
  });

  it('LISTENs by default over a db made by createDatabase: a row committed elsewhere goes out long before the poll', async () => {
    const { db, schema, url } = database();
    const ownDb = createDatabase<unknown>({ connectionString: url, maxConnections: 2 });
    try {
      const producer = new RecordingProducer();
      const relay = await startRelay(producer, { db: ownDb, pollIntervalMs: 60_000 });
      await expect.poll(() => relay.health().listening).toBe(true);
      await expect.poll(() => relay.health().database.since).toBeInstanceOf(Date);

      // Committed through the test's own pool: nothing calls wake(), only NOTIFY can tell the relay.
      await db.transaction().execute(async (trx) => {
        await sendInTransaction(trx, { topic: 'orders', keys: ['o-1'], body: '{}' }, { schema });
      });

      await expect.poll(() => producer.confirmed.map((message) => message.keys[0])).toEqual(['o-1']);
      await relay.stop();
    } finally {
      await ownDb.destroy();
    }
  });

  it('only polls over a Kysely instance it cannot open a connection for, and says so once', async () => {
    const lines: string[] = [];
    const logger = { ...silentLogger, info: (_fields: object, message: string) => void lines.push(message) };
    const relay = await startRelay(new RecordingProducer(), { logger });
    expect(relay.health().listening).toBe(false);
    expect(lines.filter((line) => line.includes('does not LISTEN'))).toHaveLength(1);
  });

  it('starts and stops its producer, and leaves nothing running after stop()', async () => {
    const { url } = database();
    const producer = new RecordingProducer();
    const relay = await startRelay(producer, { listenConnectionString: url });
    expect(producer.started).toBe(true);
    await expect.poll(() => relay.health().listening).toBe(true);

    await relay.stop();

    expect(producer.stopped).toBe(true);
    expect(relay.health()).toMatchObject({ status: 'stopped', listening: false });
  });
});
