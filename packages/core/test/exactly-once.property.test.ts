import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createProcessor } from '../src/create-processor.js';
import { Consumer, Subscribe } from '../src/decorators/handler-metadata.js';
import type { DispatchResult } from '../src/dispatch-result.js';
import type { HandlerContext } from '../src/handler-context.js';
import { inboundMessage } from './support/messages.js';
import { useTestDatabase } from './support/test-database.js';

interface LogTables {
  effect_log: { key: string; message_id: string };
}

/** Appends to an unconstrained log, so a second effect for a key would be counted, not rejected. */
@Consumer({ group: 'property' })
class LoggingHandler {
  @Subscribe({ topic: 'orders' })
  async handle(_body: unknown, ctx: HandlerContext<LogTables>): Promise<void> {
    await ctx.trx
      .insertInto('effect_log')
      .values({ key: ctx.idempotencyKey, message_id: ctx.message.messageId })
      .execute();
    if (ctx.message.properties.fail === '1') throw new Error('injected handler failure');
  }
}

// Five business keys, each sent up to twice by the producer (two message ids per key), each
// message with a fixed body per key so re-sends are true duplicates.
const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4'];
const messageIds = KEYS.flatMap((key) => [`${key}-a`, `${key}-b`]);

const delivery = fc.record({
  message: fc.integer({ min: 0, max: messageIds.length - 1 }),
  fail: fc.boolean(),
});
const step = fc.oneof(
  fc.record({
    kind: fc.constant('single' as const),
    deliveries: fc.array(delivery, { minLength: 1, maxLength: 1 }),
  }),
  fc.record({
    kind: fc.constant('batch' as const),
    deliveries: fc.array(delivery, { minLength: 1, maxLength: 5 }),
  }),
  fc.record({
    kind: fc.constant('concurrent' as const),
    deliveries: fc.array(delivery, { minLength: 2, maxLength: 6 }),
  }),
);

describe('exactly-once effects (property)', () => {
  const database = useTestDatabase({ poolSize: 8 });

  it('writes exactly one effect for each key reported processed, and none for the others', async () => {
    const { db, schema } = database();
    await db.schema
      .createTable('effect_log')
      .addColumn('key', 'text')
      .addColumn('message_id', 'text')
      .execute();
    const processor = createProcessor({ db, schema, handlers: [new LoggingHandler()], maxAttempts: 1000 });
    let attempt = 0;
    const deliver = (index: number, fail: boolean) => {
      const messageId = messageIds[index] ?? 'unreachable';
      attempt += 1;
      return inboundMessage({
        messageId,
        keys: [messageId.slice(0, 2)],
        json: { key: messageId.slice(0, 2) },
        properties: fail ? { fail: '1' } : {},
        deliveryAttempt: attempt,
      });
    };

    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
        await sql`truncate effect_log, processed_keys, dead_letters`.execute(db);
        const results: DispatchResult[] = [];
        for (const { kind, deliveries } of steps) {
          const messages = deliveries.map(({ message, fail }) => deliver(message, fail));
          if (kind === 'single')
            results.push(...(await Promise.all(messages.map((m) => processor.dispatch(m)))));
          if (kind === 'batch') results.push(...(await processor.dispatchBatch(messages)));
          if (kind === 'concurrent') {
            results.push(...(await Promise.all(messages.map((m) => processor.dispatch(m)))));
          }
        }
        const processed = results
          .filter((result) => result.outcome === 'processed')
          .map((result) => result.key);
        const effects = await db
          .selectFrom('effect_log' as never)
          .select(sql<string>`key`.as('key'))
          .execute();
        const stored = await db
          .selectFrom('processed_keys' as never)
          .select(sql<string>`idempotency_key`.as('k'))
          .execute();

        expect(new Set(processed).size).toBe(processed.length);
        expect(effects.map((row) => row.key).sort()).toEqual([...processed].sort());
        expect(stored.map((row) => row.k).sort()).toEqual([...processed].sort());
        expect(results.every((result) => result.outcome !== 'dead-lettered')).toBe(true);
        // Nothing lost: every delivery that would be acked has its key's effect written.
        const acked = results.filter(
          (result) => result.outcome === 'processed' || result.outcome === 'duplicate',
        );
        expect(acked.every((result) => processed.includes(result.key))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
