import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { sendInTransaction } from '@idem/core';
import {
  type ConsumerProcess,
  type EmbeddedPostgresServer,
  type RocketMQPeer,
  startConsumerProcess,
  startEmbeddedPostgres,
  startRocketMQPeer,
} from '@idem/testing';
import { afterEach, expect, it, vi } from 'vitest';
import {
  createEffectsDatabase,
  type EffectsDatabase,
} from '../../../test-support/effects/effects-database.js';

const fixture = fileURLToPath(new URL('./fixtures/relay-process.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const BROKER_OUTAGE_MS = 10_000;
const DATABASE_OUTAGE_MS = 10_000;

let postgres: EmbeddedPostgresServer | undefined;
let peer: RocketMQPeer | undefined;
let database: EffectsDatabase | undefined;
let relay: ConsumerProcess | undefined;
afterEach(async () => {
  if (relay !== undefined && relay.exit() === undefined) {
    relay.process.kill('SIGKILL');
    await relay.exited;
  }
  await postgres?.resume();
  await database?.drop();
  await peer?.stop();
  await postgres?.stop();
});

/**
 * A relay service is a process of its own: only as one does it show whether an outage lets its
 * event loop run dry (exit 0 mid-outage) or something keeps it alive after stop().
 */
it('a relay process stays up through a broker and a Postgres outage, delivers what was committed meanwhile, and exits 0 soon after SIGTERM', async () => {
  postgres = await startEmbeddedPostgres();
  peer = await startRocketMQPeer();
  database = await createEffectsDatabase(postgres.url);
  const { db, schema } = database;
  const target = peer;
  const commit = async (prefix: string, count: number): Promise<void> => {
    await db.transaction().execute(async (trx) => {
      for (let n = 0; n < count; n += 1) {
        await sendInTransaction(
          trx,
          { topic: 'events', body: `${prefix} ${n}` },
          { schema, idempotencyKey: `${prefix}-${n}` },
        );
      }
    });
  };
  const delivered = (): Set<string> =>
    new Set(target.messages('events').map((message) => message.keys[0] ?? ''));
  const expectDelivered = async (count: number): Promise<void> => {
    await expect.poll(() => delivered().size, { timeout: 60_000, interval: 100 }).toBe(count);
  };
  relay = await startConsumerProcess({
    script: fixture,
    nodeArgs: ['--conditions=@idem/source', '--import', 'tsx'],
    cwd: packageDir,
    env: {
      IDEM_TEST_DATABASE_URL: database.url,
      IDEM_TEST_SCHEMA: schema,
      IDEM_TEST_ENDPOINTS: peer.endpoints,
    },
  });
  const child = relay;

  await commit('before', 10);
  await expectDelivered(10);

  // The broker goes away; rows committed meanwhile wait in the outbox and go out once it is back.
  const restarted = peer.restart({ downMs: BROKER_OUTAGE_MS });
  await commit('broker-down', 10);
  await restarted;
  expect(child.exit()).toBeUndefined();
  await expectDelivered(20);
  expect(child.output()).toMatch(/^WARN the broker \(.*\) is unreachable/m);

  // Postgres goes away: the relay waits it out, reconnects its pool and its LISTEN session.
  await postgres.pause();
  const pausedAt = Date.now();
  // The relay itself waits for work; its LISTEN session is what notices the database going away.
  await vi.waitFor(
    () => expect(child.output()).toMatch(/^WARN the outbox LISTEN connection is unreachable/m),
    { timeout: DATABASE_OUTAGE_MS + 10_000, interval: 100 },
  );
  await sleep(Math.max(0, DATABASE_OUTAGE_MS - (Date.now() - pausedAt)));
  expect(child.exit()).toBeUndefined();
  await postgres.resume();
  await commit('after', 10);
  await expectDelivered(30);
  for (const prefix of ['before', 'broker-down', 'after']) {
    for (let n = 0; n < 10; n += 1) expect(delivered()).toContain(`${prefix}-${n}/events/1`);
  }

  const exit = await child.terminate();
  console.warn(`outbox relay process: exited ${exit.code} ${exit.stopMs} ms after SIGTERM`);
  expect(exit).toMatchObject({ code: 0, signal: null });
  expect(exit.stopMs).toBeLessThan(5000);
  expect(child.output()).toMatch(/^stopped$/m);
}, 180_000);
