import { setTimeout as sleep } from 'node:timers/promises';
import { type ConsumerProcess, type EmbeddedPostgresServer, startEmbeddedPostgres } from '@idem/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEffectsDatabase, type EffectsDatabase } from '../effects/effects-database.js';
import { startFixtureProcess } from '../fixture-process/start-fixture-process.js';
import type { AdapterUnderTest, BrokerUnderTest } from './broker-under-test.js';

const BROKER_OUTAGE_MS = 30_000;
const DATABASE_OUTAGE_MS = 20_000;

/**
 * Issue 11: a consumer service, run as its own process as the docs show it, ended with exit code
 * 0 a few seconds into a broker or Postgres outage (the HTTP one ~8 s and ~4 s in), because with
 * the broker's connections and the pool's sockets gone nothing held its event loop. Only a
 * separate process shows that: the test runner keeps its own process alive.
 *
 * Runs the adapter's test/fixtures/consumer-process.ts against its peer and a Postgres of its
 * own (the test pauses it).
 */
export function describeConsumerProcessOutages(adapter: AdapterUnderTest): void {
  describe(`a consumer process of the ${adapter.name} adapter (await start(), SIGTERM calls stop())`, () => {
    let postgres: EmbeddedPostgresServer;
    let broker: BrokerUnderTest | undefined;
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
      await broker?.stop();
      broker = undefined;
      await database?.drop();
      database = undefined;
    });

    async function startAll(): Promise<{
      broker: BrokerUnderTest;
      database: EffectsDatabase;
      child: ConsumerProcess;
    }> {
      broker = await adapter.startBroker();
      database = await createEffectsDatabase(postgres.url);
      child = await startFixtureProcess({
        script: new URL('test/fixtures/consumer-process.ts', adapter.packageDir),
        packageDir: adapter.packageDir,
        env: {
          ...broker.env,
          IDEM_TEST_DATABASE_URL: database.url,
          IDEM_TEST_SCHEMA: database.schema,
          IDEM_TEST_GROUP: broker.groupOf('billing'),
          IDEM_TEST_LOG: '1',
        },
      });
      return { broker, database, child };
    }

    async function expectEffects(target: EffectsDatabase, count: number): Promise<void> {
      await expect.poll(() => target.effectCount(), { timeout: 60_000, interval: 100 }).toBe(count);
    }

    async function expectCleanExit(process: ConsumerProcess): Promise<void> {
      const exit = await process.terminate();
      console.warn(`${adapter.name} consumer process: exited ${exit.code} ${exit.stopMs} ms after SIGTERM`);
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.stopMs).toBeLessThan(15_000);
      expect(process.output()).toMatch(/^stopped \{/m);
    }

    it('stays up through a 30 s broker outage (port closed), consumes what is published after it, and exits 0 after SIGTERM', async () => {
      const started = await startAll();
      started.broker.publish('orders', 'before', 20);
      await expectEffects(started.database, 20);

      await started.broker.outage(BROKER_OUTAGE_MS).up;

      expect(started.child.exit()).toBeUndefined();
      expect(started.child.output()).toMatch(/^WARN the broker \(.*\) is unreachable/m);
      started.broker.publish('orders', 'after', 20);
      await expectEffects(started.database, 40);
      expect(await started.database.duplicateEffects()).toEqual([]);
      await expectCleanExit(started.child);
    }, 150_000);

    it('stays up through a 20 s Postgres outage, consumes what was held and published after it, and exits 0 after SIGTERM', async () => {
      const started = await startAll();
      started.broker.publish('orders', 'before', 20);
      await expectEffects(started.database, 20);

      await postgres.pause();
      const pausedAt = Date.now();
      // Messages arrive while Postgres is down: the consumer finds the outage and waits it out.
      started.broker.publish('orders', 'during', 20);
      await vi.waitFor(
        () =>
          expect(started.child.output()).toMatch(
            /WARN Postgres is unreachable \(.*\); consumption paused, retrying quietly/,
          ),
        { timeout: DATABASE_OUTAGE_MS, interval: 100 },
      );
      // The outage lasts its full length on purpose: the process must outlive it, not just its detection.
      await sleep(DATABASE_OUTAGE_MS - (Date.now() - pausedAt));
      expect(started.child.exit()).toBeUndefined();
      await postgres.resume();

      started.broker.publish('orders', 'after', 20);
      await expectEffects(started.database, 60);
      expect(await started.database.duplicateEffects()).toEqual([]);
      await expectCleanExit(started.child);
    }, 150_000);
  });
}
