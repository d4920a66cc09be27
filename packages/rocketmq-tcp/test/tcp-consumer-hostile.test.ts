import { randomBytes } from 'node:crypto';
import type { LogFields, Logger } from '@idem/core';
import { describe, expect, it } from 'vitest';
import { GROUP, useTcpFixture } from './support/tcp-fixture.js';

/** Keeps every line, so the test can tell that no database outage was ever logged. */
function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (fields: LogFields, message: string) => lines.push(`${message} ${JSON.stringify(fields)}`);
  return { lines, debug: record, info: record, warn: record, error: record };
}

describe('createTcpConsumer with hostile messages on the RocketMQ peer', () => {
  const fixture = useTcpFixture();

  it('processes the good messages, takes hostile keys and headers in stride, and dead-letters the message Postgres refuses, without pausing', async () => {
    const { peer, database, publish, start } = fixture();
    const logger = recordingLogger();
    peer.publish({ topic: 'orders', body: 'nul key', keys: ['order\u00001'] });
    peer.publish({ topic: 'orders', body: 'nul id', messageId: 'MSG\u0000ID' });
    peer.publish({ topic: 'orders', body: 'long key', keys: [randomBytes(2048).toString('hex')] });
    peer.publish({ topic: 'orders', body: 'lone surrogate', keys: ['order\ud800-2'] });
    peer.publish({
      topic: 'orders',
      body: 'nul props',
      keys: ['props'],
      properties: { 'p\u0000': 'v\u0000' },
    });
    peer.publish({ topic: 'orders', body: 'nul tag', keys: ['tagged'], tag: 'created\u0000' });
    // The handler writes the message group as it came: Postgres refuses the NUL (22021).
    peer.publish({ topic: 'orders', body: 'nul group', keys: ['grouped'], messageGroup: 'cart\u0000x' });
    publish(8);

    const consumer = await start({ logger, concurrency: 4 });
    await peer.idle(GROUP, { timeoutMs: 30_000 });

    expect(await database.effectCount()).toBe(14);
    expect(await database.duplicateEffects()).toEqual([]);
    expect(await database.deadLetterReasons()).toEqual(['MESSAGE_DATA_REJECTED']);
    const health = consumer.health();
    expect(health).toMatchObject({ ready: true, outcomes: { processed: 14, 'dead-lettered': 1, failed: 0 } });
    expect(logger.lines.filter((line) => /unreachable|database.*(down|outage)/i.test(line))).toEqual([]);
  });
});
