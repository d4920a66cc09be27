import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumerProcess } from '@idem/testing';
import {
  type EmbeddedPostgresServer,
  type RocketMQPeer,
  startEmbeddedPostgres,
  startRocketMQPeer,
} from '@idem/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createEffectsDatabase,
  type EffectsDatabase,
} from '../../../test-support/effects/effects-database.js';
import { startChildConsumer } from './support/child-consumer.js';

const GROUP = 'billing';
const BROKER_OUTAGE_MS = 30_000;
const DATABASE_OUTAGE_MS = 20_000;

/**
 * Issue 11: a consumer service, run as its own process as the docs show it, ended with exit
 * code 0 a few seconds into a broker or Postgres outage, because nothing held its event loop.
 * Only a separate process shows that: the test runner keeps its own process alive.
 */
describe('a TCP consumer process (await start(), SIGTERM calls stop())', () => {
  let postgres: EmbeddedPostgresServer;
  let peer: RocketMQPeer | undefined;
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
    peer: RocketMQPeer;
    database: EffectsDatabase;
    child: ConsumerProcess;
  }> {
    peer = await startRocketMQPeer({ minInvisibleDurationMs: 1000 });
    database = await createEffectsDatabase(postgres.url);
    child = await startChildConsumer({
      IDEM_TEST_DATABASE_URL: database.url,
      IDEM_TEST_SCHEMA: database.schema,
      IDEM_TEST_ENDPOINTS: peer.endpoints,
      IDEM_TEST_GROUP: GROUP,
      IDEM_TEST_INVISIBLE_MS: '3000',
      IDEM_TEST_LONG_POLLING_MS: '1000',
      IDEM_TEST_LOG: '1',
    });
    return { peer, database, child };
  }

  function publish(target: RocketMQPeer, prefix: string, count: number): void {
    for (let index = 0; index < count; index += 1) {
      target.publish({ topic: 'orders', body: `${prefix} ${index}`, keys: [`${prefix}-${index}`] });
    }
  }

  async function expectEffects(target: EffectsDatabase, count: number): Promise<void> {
    await expect.poll(() => target.effectCount(), { timeout: 60_000, interval: 100 }).toBe(count);
  }

  async function expectCleanExit(process: ConsumerProcess): Promise<void> {
    const exit = await process.terminate();
    console.warn(`TCP consumer process: exited ${exit.code} ${exit.stopMs} ms after SIGTERM`);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.stopMs).toBeLessThan(15_000);
    expect(process.output()).toMatch(/^stopped \{/m);
  }

  it('stays up through a 30 s broker outage, consumes what is published after it, and exits 0 after SIGTERM', async () => {
    const started = await startAll();
    publish(started.peer, 'before', 20);
    await expectEffects(started.database, 20);

    await started.peer.restart({ downMs: BROKER_OUTAGE_MS });

    expect(started.child.exit()).toBeUndefined();
    expect(started.child.output()).toMatch(/^WARN the broker \(.*\) is unreachable/m);
    publish(started.peer, 'after', 20);
    await expectEffects(started.database, 40);
    expect(await started.database.duplicateEffects()).toEqual([]);
    await expectCleanExit(started.child);
  }, 150_000);

  it('stays up through a 20 s Postgres outage, consumes what was held and published after it, and exits 0 after SIGTERM', async () => {
    const started = await startAll();
    publish(started.peer, 'before', 20);
    await expectEffects(started.database, 20);

    await postgres.pause();
    const pausedAt = Date.now();
    // Messages arrive while Postgres is down: the consumer finds the outage and waits it out.
    publish(started.peer, 'during', 20);
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

    publish(started.peer, 'after', 20);
    await expectEffects(started.database, 60);
    expect(await started.database.duplicateEffects()).toEqual([]);
    await expectCleanExit(started.child);
  }, 150_000);
});
