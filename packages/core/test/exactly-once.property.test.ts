import fc from 'fast-check';
import { sql, type Transaction } from 'kysely';
import { describe, expect, it } from 'vitest';
import { Consumer, Subscribe } from '../src/decorators/handler-metadata.js';
import type { InboundMessage } from '../src/message.js';
import { createProcessor, type Processor } from '../src/processor/create-processor.js';
import type { DispatchResult } from '../src/processor/dispatch-result.js';
import type { BatchHandlerContext, BatchMessage, HandlerContext } from '../src/processor/handler-context.js';
import { BATCH_STRATEGIES, DISPATCH_MODES, type TestDispatchMode } from './support/dispatch-modes.js';
import { inboundMessage } from './support/messages.js';
import { useTestDatabase } from './support/test-database.js';

interface LogTables {
  effect_log: { key: string; message_id: string };
}

/**
 * Appends to an unconstrained log, so a second effect for a key would be counted, not rejected;
 * then fails when the message says so: by throwing, or by swallowing a failed statement.
 */
@Consumer({ group: 'property' })
class LoggingHandler {
  @Subscribe({ topic: 'orders', tag: 'one' })
  async handle(_body: unknown, ctx: HandlerContext<LogTables>): Promise<void> {
    await logAndFail(ctx.trx, [{ message: ctx.message, idempotencyKey: ctx.idempotencyKey }]);
  }

  /** The same for several messages at once, in one multi-row insert. */
  @Subscribe({ topic: 'orders', tag: 'many', batch: true })
  async handleMany(messages: BatchMessage[], ctx: BatchHandlerContext<LogTables>): Promise<void> {
    await logAndFail(ctx.trx, messages);
  }
}

async function logAndFail(
  trx: Transaction<LogTables>,
  messages: readonly Pick<BatchMessage, 'message' | 'idempotencyKey'>[],
): Promise<void> {
  await trx
    .insertInto('effect_log')
    .values(
      messages.map(({ message, idempotencyKey }) => ({ key: idempotencyKey, message_id: message.messageId })),
    )
    .execute();
  const failures = new Set(messages.map(({ message }) => message.properties.fail));
  if (failures.has('throw')) throw new Error('injected handler failure');
  if (failures.has('swallow')) await sql`select * from idem_no_such_table`.execute(trx).catch(() => {});
}

// Five business keys, each sent up to twice by the producer (two message ids per key), each
// message with a fixed body per key so re-sends are true duplicates. k0-k2 go to the handler of
// one message, k3 and k4 to the batch handler.
const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4'];
const messageIds = KEYS.flatMap((key) => [`${key}-a`, `${key}-b`]);

const delivery = fc.record({
  message: fc.integer({ min: 0, max: messageIds.length - 1 }),
  fail: fc.constantFrom('none', 'none', 'throw', 'swallow'),
});
/** Deliveries handed over in order, or all at once (two concurrent halves in batch mode). */
const step = fc.record({
  concurrent: fc.boolean(),
  deliveries: fc.array(delivery, { minLength: 1, maxLength: 6 }),
});

/** Hands one step's deliveries to the processor as a consumer in `mode` would. */
async function deliverStep(
  processor: Processor,
  mode: TestDispatchMode,
  concurrent: boolean,
  messages: InboundMessage[],
): Promise<DispatchResult[]> {
  if (mode === 'single' && concurrent) return await Promise.all(messages.map((m) => processor.dispatch(m)));
  if (mode === 'single') {
    const results: DispatchResult[] = [];
    for (const message of messages) results.push(await processor.dispatch(message));
    return results;
  }
  if (!concurrent) return await processor.dispatchBatch(messages);
  const half = Math.ceil(messages.length / 2);
  const halves = await Promise.all([
    processor.dispatchBatch(messages.slice(0, half)),
    processor.dispatchBatch(messages.slice(half)),
  ]);
  return halves.flat();
}

const MATRIX = DISPATCH_MODES.flatMap((mode) =>
  BATCH_STRATEGIES.map((batchStrategy) => ({ mode, batchStrategy })),
);

describe.each(MATRIX)(
  'exactly-once effects (property), $mode dispatch, $batchStrategy',
  ({ mode, batchStrategy }) => {
    const database = useTestDatabase({ poolSize: 8 });

    it('writes exactly one effect for each key reported processed, and none for the others', async () => {
      const { db, schema } = database();
      await sql`create table effect_log (key text, message_id text)`.execute(db);
      const processor = createProcessor({
        db,
        schema,
        handlers: [new LoggingHandler()],
        maxAttempts: 1000,
        batchStrategy,
      });
      let attempt = 0;
      const deliver = (index: number, fail: string) => {
        const messageId = messageIds[index] ?? 'unreachable';
        attempt += 1;
        return inboundMessage({
          messageId,
          keys: [messageId.slice(0, 2)],
          tag: messageId < 'k3' ? 'one' : 'many',
          json: { key: messageId.slice(0, 2) },
          properties: { fail },
          deliveryAttempt: attempt,
        });
      };

      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 12 }), async (steps) => {
          await sql`truncate effect_log, processed_keys, dead_letters`.execute(db);
          const results: DispatchResult[] = [];
          for (const { concurrent, deliveries } of steps) {
            const messages = deliveries.map(({ message, fail }) => deliver(message, fail));
            results.push(...(await deliverStep(processor, mode, concurrent, messages)));
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
        { numRuns: 30 },
      );
    });
  },
);
