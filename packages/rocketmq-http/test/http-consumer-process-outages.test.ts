import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumerProcess } from '@idem/testing';
import {
  type EmbeddedPostgresServer,
  type MqHttpPeer,
  startEmbeddedPostgres,
  startMqHttpPeer,
} from '@idem/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createEffectsDatabase,
  type EffectsDatabase,
} from '../../../test-support/effects/effects-database.js';
import { startChildConsumer } from './support/child-consumer.js';
import { publishOrders } from './support/http-test-kit.js';

const GROUP = 'GID_billing';
const BROKER_OUTAGE_MS = 30_000;
const DATABASE_OUTAGE_MS = 20_000;

/**
 * Issue 11: the service of docs/rocketmq-http.md, run as its own process, ended with exit code 0
 * ~8 s into a broker outage and ~4 s into a Postgres outage: with the HTTP connections and the
 * pool's sockets gone, nothing held its event loop. Only a separate process shows that: the test
 * runner keeps its own process alive.
 */
describe('an HTTP consumer process (await start(), SIGTERM calls stop())', () => {
  let postgres: EmbeddedPostgresServer;
  let peer: MqHttpPeer | undefined;
  let database: EffectsDatabase | undefined;
  let child: ConsumerProcess | undefined;
  beforeAll(async () => {
    postgres = await startEmbeddedPostgres();
  });
  afterAll(async () => {
    await postgres.stop();
  });
  afterEach(async () => {
    if (child !== undefined && child.exit() === undefined) {
      child.process.kill('SIGKILL');
      await child.exited;
    }
    child = undefined;
    // A test that failed during the Postgres outage left it down.
    await postgres.resume();
    await peer?.stop();
    peer = undefined;
    await database?.drop();
    database = undefined;
  });

  async function startAll(): Promise<{
    peer: MqHttpPeer;
    database: EffectsDatabase;
    child: ConsumerProcess;
  }> {
    peer = await startMqHttpPeer({ invisibleTimeMs: 3000 });
    database = await createEffectsDatabase(postgres.url);
    child = await startChildConsumer({
      IDEM_TEST_DATABASE_URL: database.url,
      IDEM_TEST_SCHEMA: database.schema,
      IDEM_TEST_ENDPOINT: peer.endpoint,
      IDEM_TEST_ACCESS_KEY_ID: peer.accessKeyId,
      IDEM_TEST_ACCESS_KEY_SECRET: peer.accessKeySecret,
      IDEM_TEST_GROUP: GROUP,
      IDEM_TEST_LOG: '1',
    });
    return { peer, database, child };
  }

  async function expectEffects(target: EffectsDatabase, count: number): Promise<void> {
    await expect.poll(() => target.effectCount(), { timeout: 60_000, interval: 100 }).toBe(count);
  }

  async function expectCleanExit(process: ConsumerProcess): Promise<void> {
    const exit = await process.terminate();
    console.warn(`HTTP consumer process: exited ${exit.code} ${exit.stopMs} ms after SIGTERM`);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.stopMs).toBeLessThan(15_000);
    expect(process.output()).toMatch(/^stopped \{/m);
  }

  it('stays up through a 30 s broker outage (port closed), consumes what is published after it, and exits 0 after SIGTERM', async () => {
    const started = await startAll();
    publishOrders(started.peer, 20, 'before');
    await expectEffects(started.database, 20);

    const outage = started.peer.outage({ ms: BROKER_OUTAGE_MS, mode: 'refuse' });
    await outage.ended;

    expect(started.child.exit()).toBeUndefined();
    expect(started.child.output()).toMatch(/^WARN the broker \(.*\) is unreachable/m);
    publishOrders(started.peer, 20, 'after');
    await expectEffects(started.database, 40);
    expect(await started.database.duplicateEffects()).toEqual([]);
    await expectCleanExit(started.child);
  }, 150_000);

  it('stays up through a 20 s Postgres outage, consumes what was held and published after it, and exits 0 after SIGTERM', async () => {
    const started = await startAll();
    publishOrders(started.peer, 20, 'before');
    await expectEffects(started.database, 20);

    await postgres.pause();
    const pausedAt = Date.now();
    // Messages arrive while Postgres is down: the consumer finds the outage and waits it out.
    publishOrders(started.peer, 20, 'during');
    await vi.waitFor(
      () =>
        expect(started.child.output()).toMatch(
          /WARN Postgres is unreachable \(.*\); consumption paused, retrying quietly/,
        ),
      { timeout: DATABASE_OUTAGE_MS, interval: 100 },
    );
    await sleep(DATABASE_OUTAGE_MS - (Date.now() - pausedAt));
    expect(started.child.exit()).toBeUndefined();
    await postgres.resume();

    publishOrders(started.peer, 20, 'after');
    await expectEffects(started.database, 60);
    expect(await started.database.duplicateEffects()).toEqual([]);
    await expectCleanExit(started.child);
  }, 150_000);
});
