// Chaos through the HTTP peer: two consumer processes of one group consume orders (and 2%
// producer-side re-sends of a key under a new message id) while the peer duplicates deliveries,
// loses acks, and goes through every outage mode (refuse, reset, 503 as HTML and as XML, hang),
// and each consumer is SIGKILLed once and started again. Every order must end as one effect row.

import type { ConsumerProcess } from '@idem/testing';
import { type MqHttpOutageMode, type MqHttpPeer, startMqHttpPeer } from '@idem/testing';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEffectsDatabase,
  type EffectsDatabase,
} from '../../../test-support/effects/effects-database.js';
import { startChildConsumer } from './support/child-consumer.js';
import { seededRandom } from './support/http-test-kit.js';

const GROUP = 'GID_chaos';
const ORDERS = 1200;
const RESEND_EVERY = 50; // 2%

type Fault =
  | {
      readonly at: number;
      readonly outage: MqHttpOutageMode;
      readonly ms: number;
      readonly body?: 'html' | 'xml';
    }
  | { readonly at: number; readonly kill: number };

// At these shares of the orders having an effect; one outage at a time.
const FAULTS: readonly Fault[] = [
  { at: 0.08, outage: 'refuse', ms: 3000 },
  { at: 0.18, kill: 0 },
  { at: 0.28, outage: 'reset', ms: 3000 },
  { at: 0.38, outage: '503', ms: 3000, body: 'html' },
  { at: 0.48, kill: 1 },
  { at: 0.58, outage: 'hang', ms: 4000 },
  { at: 0.68, outage: '503', ms: 2000, body: 'xml' },
];

describe('chaos through the MQ HTTP peer', () => {
  let peer: MqHttpPeer | undefined;
  let database: EffectsDatabase | undefined;
  const children: ConsumerProcess[] = [];

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exit() === undefined) child.process.kill('SIGKILL');
      await child.exited;
    }
    await peer?.stop();
    await database?.drop();
  });

  it('writes exactly one effect per business key through kill -9s, every outage mode, lost acks and duplicate deliveries', async () => {
    const startedAt = Date.now();
    // A short invisible time brings the deliveries of a killed consumer back within seconds.
    const started = await startMqHttpPeer({ invisibleTimeMs: 3000, random: seededRandom(14) });
    peer = started;
    const db = await createEffectsDatabase();
    database = db;
    const env = {
      IDEM_TEST_DATABASE_URL: db.url,
      IDEM_TEST_SCHEMA: db.schema,
      IDEM_TEST_ENDPOINT: started.endpoint,
      IDEM_TEST_ACCESS_KEY_ID: started.accessKeyId,
      IDEM_TEST_ACCESS_KEY_SECRET: started.accessKeySecret,
      IDEM_TEST_GROUP: GROUP,
    };
    const launch = async (slot: number): Promise<void> => {
      children[slot] = await startChildConsumer(env);
    };
    await Promise.all([launch(0), launch(1)]);
    started.duplicateDeliveries(0.05);
    started.loseAcks(0.05);

    let resends = 0;
    for (let index = 0; index < ORDERS; index += 1) {
      started.publish({ topic: 'orders', body: `order ${index}`, keys: `order-${index}` });
      const earlier = index - 300;
      if (earlier >= 0 && earlier % RESEND_EVERY === 7) {
        started.publish({ topic: 'orders', body: `order ${earlier}`, keys: `order-${earlier}` });
        resends += 1;
      }
    }

    const events: string[] = [];
    const keysWithEffect = async (): Promise<number> =>
      Number(
        (await sql<{ n: string }>`select count(distinct key) as n from effects`.execute(db.db)).rows[0]?.n ??
          0,
      );
    for (const fault of FAULTS) {
      await expect
        .poll(keysWithEffect, { timeout: 60_000, interval: 100 })
        .toBeGreaterThanOrEqual(ORDERS * fault.at);
      const began = Date.now();
      if ('kill' in fault) {
        const child = children[fault.kill];
        child?.process.kill('SIGKILL');
        await child?.exited;
        await launch(fault.kill);
        events.push(`consumer ${fault.kill === 0 ? 'A' : 'B'} kill -9 and start`);
      } else {
        const outage = started.outage({
          ms: fault.ms,
          mode: fault.outage,
          ...(fault.body ? { body: fault.body } : {}),
        });
        await outage.ended;
        events.push(`outage ${fault.outage}${fault.body ? ` (${fault.body})` : ''} for ${fault.ms / 1000} s`);
      }
      events[events.length - 1] +=
        ` at ${await keysWithEffect()} keys, +${((began - startedAt) / 1000).toFixed(0)} s, took ${((Date.now() - began) / 1000).toFixed(1)} s`;
      // Progress as it happens: a run that times out still shows how far it got.
      console.warn(`HTTP chaos: ${events[events.length - 1]}`);
    }

    await expect.poll(keysWithEffect, { timeout: 60_000, interval: 200 }).toBe(ORDERS);
    // Every copy (duplicates, redeliveries after lost acks) acked: nothing can come back now.
    started.loseAcks(0);
    started.duplicateDeliveries(0);
    await started.idle(GROUP, 'orders', { timeoutMs: 60_000 });
    const outcomes = await Promise.all(
      children.map(async (child) => {
        const exit = await child.terminate();
        expect(exit).toMatchObject({ code: 0, signal: null });
        const line = /^stopped (\{.*\})$/m.exec(child.output())?.[1] ?? '{}';
        return JSON.parse(line) as Record<string, number>;
      }),
    );
    const stats = started.stats();
    const processedRows = Number(
      (
        await sql<{
          n: string;
        }>`select count(*) as n from processed_keys where consumer_group = ${GROUP}`.execute(db.db)
      ).rows[0]?.n ?? 0,
    );
    const effects = await db.effectCount();
    const row = (label: string, value: string | number): string => `  ${label.padEnd(34)} ${value}`;
    console.warn(
      [
        'HTTP chaos (MQ HTTP peer, 2 consumer processes, real Postgres):',
        row('messages published', `${stats.published} (${ORDERS} orders + ${resends} re-sends)`),
        row(
          'deliveries',
          `${stats.deliveries} (redeliveries ${stats.redeliveries}, duplicate copies ${stats.duplicates})`,
        ),
        row(
          'acks',
          `${stats.acks} (lost ${stats.lostAcks}, of which applied ${stats.lostAcksApplied}; rejected ${stats.rejectedAcks})`,
        ),
        row('requests failed by outages', JSON.stringify(stats.failedRequests)),
        row('effects / processed keys', `${effects} / ${processedRows}`),
        row('survivors outcomes', outcomes.map((each) => JSON.stringify(each)).join(' ')),
        row('wall time', `${((Date.now() - startedAt) / 1000).toFixed(1)} s`),
        ...events.map((event) => `  - ${event}`),
      ].join('\n'),
    );

    expect(effects).toBe(ORDERS);
    expect(await db.duplicateEffects()).toEqual([]);
    expect(processedRows).toBe(ORDERS);
    expect(await db.deadLetterReasons()).toEqual([]);
    expect(stats.published).toBe(ORDERS + resends);
    // The faults happened: duplicates, lost acks, redeliveries and all five outages.
    expect(stats.duplicates).toBeGreaterThan(0);
    expect(stats.lostAcks).toBeGreaterThan(0);
    expect(stats.redeliveries).toBeGreaterThan(0);
    expect(stats.outages).toBe(FAULTS.filter((fault) => 'outage' in fault).length);
    expect(stats.failedRequests['503'] + stats.failedRequests.hang).toBeGreaterThan(0);
  }, 300_000);
});
