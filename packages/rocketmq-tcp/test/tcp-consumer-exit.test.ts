import { fileURLToPath } from 'node:url';
import type { ConsumerProcess } from '@idem/testing';
import { type RocketMQPeer, startRocketMQPeer } from '@idem/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEffectsDatabase,
  type EffectsDatabase,
} from '../../../test-support/effects/effects-database.js';
import { startChildConsumer } from './support/child-consumer.js';

/**
 * Process lifetime after stop(), in child processes: the test runner keeps its own event loop
 * alive, so a long poll or a timer left behind by stop() passes every in-process test.
 * The long poll is 10 s here, as in production, so a receive that is not cancelled is seen.
 */
const LONG_POLLING_MS = 10_000;
/** How long the test waits for an exit that should take milliseconds, before it gives up. */
const GIVE_UP_MS = 20_000;

const peerAndConsumer = fileURLToPath(new URL('./fixtures/peer-and-consumer-process.ts', import.meta.url));

async function exitedWithin(
  child: ConsumerProcess,
  ms: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null } | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  const gaveUp = new Promise<'still running'>((resolve) => {
    timer = setTimeout(() => resolve('still running'), ms);
  });
  const outcome = await Promise.race([child.exited, gaveUp]);
  clearTimeout(timer);
  if (outcome === 'still running') child.process.kill('SIGKILL');
  return outcome;
}

/** What the child printed from its 'exit' event: how long it lived after stop() returned. */
function msFromStopToExit(output: string): number | undefined {
  const match = /exit (\d+) ms after stop/.exec(output);
  return match === null ? undefined : Number(match[1]);
}

describe('a TCP consumer process after stop()', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function setup(): Promise<{
    peer: RocketMQPeer;
    database: EffectsDatabase;
    env: Record<string, string>;
  }> {
    const peer = await startRocketMQPeer({ minInvisibleDurationMs: 1000 });
    cleanups.push(() => peer.stop());
    const database = await createEffectsDatabase();
    cleanups.push(() => database.drop());
    return {
      peer,
      database,
      env: {
        IDEM_TEST_DATABASE_URL: database.url,
        IDEM_TEST_SCHEMA: database.schema,
        IDEM_TEST_ENDPOINTS: peer.endpoints,
        IDEM_TEST_GROUP: 'billing',
        IDEM_TEST_TOPIC: 'orders',
        IDEM_TEST_LONG_POLLING_MS: String(LONG_POLLING_MS),
      },
    };
  }

  it('exits within 1 s once an idle consumer is stopped and the database destroyed', async () => {
    const { env } = await setup();
    const child = await startChildConsumer({ ...env, IDEM_TEST_STOP_WHEN_READY: '1' });
    const exit = await exitedWithin(child, GIVE_UP_MS);
    expect(exit, child.output()).toEqual({ code: 0, signal: null });
    expect(child.output()).toContain('stopped');
    console.warn(`idle consumer process: exited ${msFromStopToExit(child.output())} ms after stop()`);
    expect(msFromStopToExit(child.output())).toBeLessThan(1000);
  }, 60_000);

  it('exits within 1 s of stop() returning when SIGTERM arrives during a long poll', async () => {
    const { env, peer, database } = await setup();
    const child = await startChildConsumer(env);
    // The consumer long-polls again as soon as it acked this message; the peer then has nothing
    // for it, so that poll would last LONG_POLLING_MS.
    peer.publish({ topic: 'orders', keys: ['order-0'], body: 'order 0' });
    await peer.idle('billing', { timeoutMs: 30_000 });
    expect(await database.effectCount()).toBe(1);
    child.process.kill('SIGTERM');
    const exit = await exitedWithin(child, GIVE_UP_MS);
    expect(exit, child.output()).toEqual({ code: 0, signal: null });
    console.warn(`SIGTERM during a long poll: exited ${msFromStopToExit(child.output())} ms after stop()`);
    expect(msFromStopToExit(child.output())).toBeLessThan(1000);
  }, 60_000);

  it('ends by itself when the peer, the consumer and the database share the process (docs/testing.md)', async () => {
    const { database } = await setup();
    const child = await startChildConsumer(
      { IDEM_TEST_DATABASE_URL: database.url, IDEM_TEST_SCHEMA: database.schema },
      { script: peerAndConsumer },
    );
    await expect.poll(() => child.output().includes('done'), { timeout: 60_000 }).toBe(true);
    const doneAt = Date.now();
    // A process spinning in Node's handle cleanup printed `exit 0` but never ends.
    const exit = await exitedWithin(child, 5000);
    console.warn(
      `peer, consumer and database in one process: ended ${Date.now() - doneAt} ms after all was stopped`,
    );
    expect(exit, child.output()).toEqual({ code: 0, signal: null });
    expect(child.output()).toContain('exit 0');
    expect(await database.effectCount()).toBe(20);
  }, 90_000);
});
