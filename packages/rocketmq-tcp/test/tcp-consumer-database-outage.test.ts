import { type EmbeddedPostgresServer, startEmbeddedPostgres } from '@idem/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEffectsDatabase } from '../../../test-support/effects/effects-database.js';
import { GROUP, useTcpFixture } from './support/tcp-fixture.js';

describe('createTcpConsumer through a Postgres outage', () => {
  const fixture = useTcpFixture();
  let postgres: EmbeddedPostgresServer;
  beforeAll(async () => {
    postgres = await startEmbeddedPostgres();
  });
  afterAll(async () => {
    await postgres.stop();
  });

  it('pauses while Postgres is down for 10 s, dead-letters nothing and processes everything after', async () => {
    const { peer, publish, handlers, create } = fixture();
    const database = await createEffectsDatabase(postgres.url);
    const consumer = create({ db: database.db, schema: database.schema, concurrency: 16 });
    try {
      handlers.controls.delayMs = 5;
      publish(2000);
      await consumer.start();
      await peer.waitUntil(() => consumer.health().outcomes.processed >= 300, 60_000);
      await postgres.pause();
      const pausedAt = Date.now();
      await peer.waitUntil(() => !consumer.health().database.reachable, 10_000);
      const processedWhileDown = consumer.health().outcomes.processed;
      await new Promise((resolve) => setTimeout(resolve, 10_000 - (Date.now() - pausedAt)));
      const processedAtEnd = consumer.health().outcomes.processed;
      await postgres.resume();
      await peer.idle(GROUP, { timeoutMs: 90_000 });

      const health = consumer.health();
      console.warn(
        `database outage: 2000 messages, Postgres down 10 s, processed before/after the pause ${processedWhileDown}/${processedAtEnd}, ` +
          `redeliveries ${peer.stats().redeliveries}, duplicates ${health.outcomes.duplicate}, failed ${health.outcomes.failed}, ` +
          `dead-lettered ${health.outcomes['dead-lettered']}`,
      );
      expect(processedAtEnd).toBe(processedWhileDown);
      expect(health.database.reachable).toBe(true);
      expect(health.outcomes['dead-lettered']).toBe(0);
      expect(health.outcomes.failed).toBe(0);
      expect(peer.deadLetters(GROUP)).toEqual([]);
      expect(await database.deadLetterReasons()).toEqual([]);
      expect(await database.effectCount()).toBe(2000);
      expect(await database.duplicateEffects()).toEqual([]);
    } finally {
      await consumer.stop();
      await database.drop();
    }
  }, 240_000);
});
