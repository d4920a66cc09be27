// The seed's scenario, made hard: a real RocketMQ 5 broker restarted three times (kill, graceful,
// kill), real Postgres restarted once, two consumer processes of one group SIGKILLed once each
// and started again, while 20,000 orders (and 2% producer-side re-sends of the same business key
// under a new message id) are published. Every order must end as exactly one effect row.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type EmbeddedPostgresServer,
  type RocketMQBroker,
  realBrokerSkipReason,
  startEmbeddedPostgres,
  startRocketMQBroker,
} from '@idem/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChildConsumer, startChildConsumer } from './support/child-consumer.js';
import { DeliveryLedger, type Incarnation, settledCount } from './support/delivery-ledger.js';
import { createEffectsDatabase, type EffectsDatabase } from './support/effects-database.js';
import { type OutgoingMessage, type RealProducer, startRealProducer } from './support/real-producer.js';

const ORDERS = 20_000;
const RESEND_EVERY = 50; // 2%
const QUIET_MS = 12_000; // longer than the invisible duration: lost acks have come back by then

interface RunningChild {
  readonly child: ChildConsumer;
  readonly incarnation: Incarnation;
}

/** 20,000 orders, and for every 50th a re-send of the same key a few hundred sends later. */
function ordersWithResends(topic: string): OutgoingMessage[] {
  const weighted: { weight: number; message: OutgoingMessage }[] = [];
  for (let index = 0; index < ORDERS; index += 1) {
    const message = { topic, body: `order ${index}`, keys: [`order-${index}`] };
    weighted.push({ weight: index, message });
    if (index % RESEND_EVERY === 7) weighted.push({ weight: index + 300.5, message });
  }
  return weighted.sort((a, b) => a.weight - b.weight).map(({ message }) => message);
}

async function until(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const giveUpAt = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > giveUpAt) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(200);
  }
}

describe('chaos on a real RocketMQ 5 broker', () => {
  let broker: RocketMQBroker | undefined;
  let startFailure: unknown;
  let postgres: EmbeddedPostgresServer | undefined;
  let database: EffectsDatabase | undefined;
  let producer: RealProducer | undefined;
  const children: RunningChild[] = [];

  beforeAll(async () => {
    broker = await startRocketMQBroker().catch((error: unknown) => {
      startFailure = error;
      return undefined;
    });
  }, 300_000);

  afterAll(async () => {
    for (const { child } of children) child.process.kill('SIGKILL');
    await producer?.shutdown();
    await database?.drop().catch(() => {});
    await postgres?.stop();
    await broker?.stop();
  });

  it('writes exactly one effect per business key through 3 broker restarts, 2 consumer kills and a Postgres restart', async (ctx) => {
    if (broker === undefined) {
      const reason = realBrokerSkipReason(startFailure);
      if (reason !== undefined) ctx.skip(reason);
      throw startFailure;
    }
    const realBroker = broker;
    const startedAt = Date.now();
    const suffix = randomBytes(4).toString('hex');
    const topic = `idem_chaos_${suffix}`;
    const group = `idem_chaos_${suffix}`;
    await realBroker.createTopic(topic);
    await realBroker.createGroup(group);
    postgres = await startEmbeddedPostgres();
    const pg = postgres;
    database = await createEffectsDatabase(pg.url);
    const db = database;

    const ledger = new DeliveryLedger();
    const env = {
      IDEM_TEST_DATABASE_URL: db.url,
      IDEM_TEST_SCHEMA: db.schema,
      IDEM_TEST_ENDPOINTS: realBroker.endpoints,
      IDEM_TEST_GROUP: group,
      IDEM_TEST_TOPIC: topic,
      IDEM_TEST_MODE: 'batch',
      IDEM_TEST_CONCURRENCY: '64',
      IDEM_TEST_BATCH_SIZE: '32',
      IDEM_TEST_INVISIBLE_MS: '10000',
      IDEM_TEST_LONG_POLLING_MS: '5000',
      IDEM_TEST_EVENTS: '1',
    };
    const launch = async (slot: number, name: string): Promise<void> => {
      const { incarnation, onLine } = ledger.track(name);
      const child = await startChildConsumer(env, { onLine });
      children[slot] = { child, incarnation };
    };
    const sigkill = async (slot: number): Promise<void> => {
      const running = children[slot];
      if (running === undefined) throw new Error(`no consumer in slot ${slot}`);
      running.incarnation.killed = true;
      running.child.process.kill('SIGKILL');
      await running.child.exited;
    };
    await Promise.all([launch(0, 'A1'), launch(1, 'B1')]);

    const messages = ordersWithResends(topic);
    producer = await startRealProducer(realBroker.endpoints, [topic]);
    const publishStartedAt = Date.now();
    let publishMs = 0;
    const publishing = producer.sendAll(messages, { concurrency: 64 }).then((ids) => {
      publishMs = Date.now() - publishStartedAt;
      return ids;
    });

    const events: string[] = [];
    const at = async (fraction: number, what: string, action: () => Promise<void>): Promise<void> => {
      await until(() => ledger.processedKeys >= ORDERS * fraction, 240_000, `progress to ${fraction}`);
      const began = Date.now();
      await action();
      events.push(
        `${what} at ${ledger.processedKeys} processed, +${((began - startedAt) / 1000).toFixed(0)} s, took ${((Date.now() - began) / 1000).toFixed(1)} s`,
      );
    };
    await at(0.08, 'broker kill -9 (down 1 s)', () => realBroker.restart({ mode: 'kill', downMs: 1000 }));
    await at(0.2, 'consumer A kill -9', async () => {
      await sigkill(0);
      await launch(0, 'A2');
    });
    await at(0.32, 'Postgres restart (down 2 s)', () => pg.restart({ downMs: 2000 }));
    await at(0.45, 'broker graceful (down 1 s)', () =>
      realBroker.restart({ mode: 'graceful', downMs: 1000 }),
    );
    await at(0.58, 'consumer B kill -9', async () => {
      await sigkill(1);
      await launch(1, 'B2');
    });
    await at(0.72, 'broker kill -9 (down 2 s)', () => realBroker.restart({ mode: 'kill', downMs: 2000 }));

    const messageIds = await publishing;
    const effectKeys = async (): Promise<number> =>
      Number(
        (await sql<{ n: string }>`select count(distinct key) as n from effects`.execute(db.db)).rows[0]?.n ??
          0,
      );
    await until(async () => (await effectKeys()) >= ORDERS, 240_000, 'an effect for every order');
    // Deliveries whose ack was lost come back after the invisible duration and are skipped then.
    await until(() => ledger.quietForMs() >= QUIET_MS, 120_000, 'a quiet period');
    await Promise.all(
      children.map(async ({ child }) => {
        child.process.kill('SIGTERM');
        expect(await child.exited).toEqual({ code: 0, signal: null });
      }),
    );
    const wallMs = Date.now() - startedAt;

    // Exactly one effect per business key, none missing, nothing dead-lettered.
    const keys = (
      await sql<{ key: string; n: string }>`select key, count(*) as n from effects group by key`.execute(
        db.db,
      )
    ).rows;
    const effectCounts = new Map(keys.map((row) => [row.key, Number(row.n)]));
    const missing = Array.from({ length: ORDERS }, (_, index) => `order-${index}`).filter(
      (key) => !effectCounts.has(key),
    );
    expect(missing).toEqual([]);
    expect(await db.duplicateEffects()).toEqual([]);
    expect(await db.effectCount()).toBe(ORDERS);
    expect(await db.deadLetterReasons()).toEqual([]);

    // Which message id won each key tells a redelivery from a producer-side re-send.
    const winners = new Map(
      (
        await sql<{ idempotency_key: string; message_id: string }>`
          select idempotency_key, message_id from processed_messages where consumer_group = ${group}`.execute(
          db.db,
        )
      ).rows.map((row) => [row.idempotency_key, row.message_id]),
    );
    expect(winners.size).toBe(ORDERS);
    const duplicates = ledger.deliveries.filter((delivery) => delivery.outcome === 'duplicate');
    const redeliveries = duplicates.filter((delivery) => winners.get(delivery.key) === delivery.messageId);
    const resent = duplicates.filter((delivery) => winners.get(delivery.key) !== delivery.messageId);
    const resendIds = new Set(resent.map((delivery) => delivery.messageId));
    const resendCount = messages.length - ORDERS;

    const received = ledger.total((incarnation) => incarnation.received);
    const settled = ledger.total(settledCount);
    const abandoned = ledger.total((incarnation) =>
      incarnation.killed ? incarnation.received - settledCount(incarnation) : 0,
    );
    const processed = ledger.total((incarnation) => incarnation.settled.processed);
    const duplicate = ledger.total((incarnation) => incarnation.settled.duplicate);
    const failed = ledger.total((incarnation) => incarnation.settled.failed);
    const deadLettered = ledger.total((incarnation) => incarnation.settled['dead-lettered']);
    const attempts = ledger.deliveries.filter((delivery) => delivery.attempt > 1).length;
    const row = (label: string, value: string | number): string => `  ${label.padEnd(34)} ${value}`;
    console.warn(
      [
        'chaos test (real RocketMQ 5.5.0 broker, embedded Postgres, 2 consumer processes, batch mode):',
        row(
          'messages published',
          `${messages.length} (${ORDERS} orders + ${resendCount} re-sends), ${(publishMs / 1000).toFixed(1)} s`,
        ),
        row('distinct message ids', new Set(messageIds).size),
        row('deliveries received', received),
        row(
          '  settled',
          `${settled} (processed ${processed}, duplicate ${duplicate}, failed ${failed}, dead-lettered ${deadLettered})`,
        ),
        row('  abandoned by kill -9', abandoned),
        row('  with delivery attempt > 1', attempts),
        row('duplicates: redelivery (same id)', redeliveries.length),
        row('duplicates: producer re-send', `${resent.length} (${resendIds.size} distinct re-sent ids)`),
        row(
          'acks not confirmed',
          ledger.total((incarnation) => incarnation.ackFailures),
        ),
        row('effects / distinct keys', `${ORDERS} / ${effectCounts.size}`),
        row('broker restarts', '3 (kill, graceful, kill)'),
        row('consumer kill -9 + restart', 2),
        row('Postgres restarts', 1),
        row(
          'longest pause in consumption',
          `${(ledger.longestPauseMs / 1000).toFixed(1)} s between two settled deliveries`,
        ),
        row('wall time', `${(wallMs / 1000).toFixed(1)} s (broker start excluded)`),
        ...events.map((event) => `  - ${event}`),
        ...ledger.incarnations.map(
          (incarnation) =>
            `  consumer ${incarnation.name}: received ${incarnation.received}, settled ${settledCount(incarnation)} ${JSON.stringify(incarnation.settled)}${incarnation.killed ? ' (killed)' : ''}`,
        ),
      ].join('\n'),
    );

    // The counters add up: every delivery a consumer received was settled as processed or
    // duplicate, except those in flight in a consumer at the instant it was SIGKILLed.
    expect(deadLettered).toBe(0);
    for (const incarnation of ledger.incarnations.filter((each) => !each.killed)) {
      expect(settledCount(incarnation)).toBe(incarnation.received);
    }
    expect(processed + duplicate + failed).toBe(received - abandoned);
    // A processed commit goes unreported only when its consumer died before printing it.
    expect(processed).toBeLessThanOrEqual(ORDERS);
    expect(ORDERS - processed).toBeLessThanOrEqual(abandoned);
    // Every re-sent message was delivered and recognised as a duplicate of its key.
    expect(resendIds.size).toBe(resendCount);
    expect(redeliveries.length).toBeGreaterThan(0);
  }, 600_000);
});
