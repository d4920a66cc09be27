import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../src/migrate.js';
import { createProcessor } from '../src/processor/create-processor.js';
import type { DispatchResult } from '../src/processor/dispatch-result.js';
import { OrderHandlers } from './support/handlers.js';
import { inboundMessage, redeliveryOf } from './support/messages.js';
import { migrateDownTo } from './support/migrate-down-to.js';
import { useTestDatabase } from './support/test-database.js';

const OLD_KEYS = 300;

describe('upgrade to time slices (migrations 0005 and 0006)', () => {
  const database = useTestDatabase({ poolSize: 8 });

  it('keeps deduplicating the keys stored before the upgrade while consumers run through it', async () => {
    const { db, schema } = database();
    // The layout before 0005, holding keys processed by the previous version.
    await migrateDownTo(db, schema, '0004-outbox');
    const oldMessages = Array.from({ length: OLD_KEYS }, (_, i) =>
      inboundMessage({ keys: [`old-${i}`], json: { orderId: `old-${i}`, amount: i } }),
    );
    for (const message of oldMessages) {
      await sql`
        insert into ${sql.table(`${schema}.processed_messages`)}
          (consumer_group, idempotency_key, message_id, topic, tag, handler, payload_hash, delivery_attempt, transport)
        values ('billing', ${message.keys[0]}, ${message.messageId}, 'orders', 'created',
                'OrderHandlers.onOrderCreated', ${createHash('sha256').update(message.body).digest()}, 1, 'test')`.execute(
        db,
      );
    }

    const handlers = new OrderHandlers();
    const processor = createProcessor({ db, schema, handlers: [handlers], consumerGroup: 'billing' });
    // The consumers: redeliveries of old messages and new messages, each redelivered until it is
    // acked (processed or duplicate), as the broker would, all through the migration.
    const results: DispatchResult[] = [];
    let migrated = false;
    let round = 0;
    const consume = async (): Promise<void> => {
      while (!migrated || round < 3) {
        round += migrated ? 1 : 0;
        const batch = [
          redeliveryOf(oldMessages[(round * 7) % OLD_KEYS] as (typeof oldMessages)[number]),
          inboundMessage({ keys: [`new-${results.length}-${round}`], json: { orderId: 'n', amount: 1 } }),
        ];
        for (const message of batch) {
          for (;;) {
            const result = await processor.dispatch(message);
            results.push(result);
            if (result.outcome !== 'failed') break;
          }
        }
      }
    };
    const consumers = [consume(), consume()];
    // Some deliveries happen before the upgrade, then the migration runs under them.
    await expect.poll(() => results.length, { timeout: 30_000 }).toBeGreaterThan(4);
    expect(await migrateToLatest(db, { schema })).toMatchObject([
      { name: '0005-sliced-processed-messages', status: 'Success' },
      { name: '0006-old-version-claims', status: 'Success' },
      { name: '0007-plain-claim-insert', status: 'Success' },
    ]);
    migrated = true;
    await Promise.all(consumers);

    // Every old key deduplicated: no redelivery of an old message ran its handler.
    const effects = await database().effects();
    expect(effects.filter((row) => row.key.startsWith('old-'))).toEqual([]);
    expect(results.filter((r) => r.key.startsWith('old-') && r.outcome === 'processed')).toEqual([]);
    // Every new message was processed exactly once.
    const newKeys = new Set(results.filter((r) => r.key.startsWith('new-')).map((r) => r.key));
    expect(
      effects
        .filter((row) => row.key.startsWith('new-'))
        .map((row) => row.key)
        .sort(),
    ).toEqual([...newKeys].sort());
    // After the upgrade, every old key still deduplicates, including ones no consumer touched.
    for (const message of oldMessages.slice(-20)) {
      expect(await processor.dispatch(redeliveryOf(message))).toMatchObject({ outcome: 'duplicate' });
    }
    expect(handlers.calls).toBe(newKeys.size);
  });
});
