import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createProcessor } from '../src/create-processor.js';
import { Consumer, Subscribe } from '../src/decorators/handler-metadata.js';
import type { DispatchResult } from '../src/dispatch-result.js';
import type { HandlerContext } from '../src/handler-context.js';
import type { InboundMessage } from '../src/message.js';
import { defaultIdempotencyKey } from '../src/prepare-message.js';
import { inboundMessage, redeliveryOf } from './support/messages.js';
import { useTestDatabase } from './support/test-database.js';

interface LogTables {
  effect_log: { key: string };
}

/** Appends to an unconstrained log, so a second effect for a key would be counted, not rejected. */
@Consumer({ group: 'hostile-property' })
class LoggingHandler {
  @Subscribe({ topic: 'orders' })
  async handle(_body: unknown, ctx: HandlerContext<LogTables>): Promise<void> {
    await ctx.trx.insertInto('effect_log').values({ key: ctx.idempotencyKey }).execute();
  }
}

// Any code point, plus what Postgres refuses or rewrites: NUL and lone surrogates of both halves.
const unit = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\ufffd') },
  { weight: 1, arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)) },
);
// Mostly short, sometimes up to ~8 KB of UTF-8 (past the btree limit of 2,704 bytes).
const text = (minLength = 0) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit, minLength, maxLength: 24 }) },
    { weight: 1, arbitrary: fc.string({ unit, minLength: 600, maxLength: 2048 }) },
  );
const body = fc.oneof(
  // Valid JSON carrying hostile text: must be processed.
  text().map((value) => Buffer.from(JSON.stringify({ value }))),
  // Arbitrary bytes: usually not JSON, dead-lettered as undecodable.
  fc.uint8Array({ maxLength: 8192 }).map((bytes) => Buffer.from(bytes)),
);
const hostileMessage = fc
  .record({
    keys: fc.array(text(), { maxLength: 2 }),
    messageId: text(1),
    tag: fc.option(fc.oneof(fc.constant('created'), text()), { nil: undefined }),
    properties: fc.dictionary(text(), text(), { maxKeys: 3 }),
    body,
  })
  .map((fields): InboundMessage => inboundMessage(fields));
// Distinct business keys, so no first delivery is legitimately a duplicate of another.
const deliveries = fc.record({
  mode: fc.constantFrom('single' as const, 'batch' as const),
  messages: fc.uniqueArray(hostileMessage, { minLength: 1, maxLength: 6, selector: defaultIdempotencyKey }),
});

function isJson(buffer: Buffer): boolean {
  try {
    JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(buffer));
    return true;
  } catch {
    return false;
  }
}

describe('hostile input (property)', () => {
  const database = useTestDatabase({ poolSize: 8 });

  it('ends every delivery processed with its effect or dead-lettered with a stored record, never failed nor a first-delivery duplicate', async () => {
    const { db, schema } = database();
    await db.schema.createTable('effect_log').addColumn('key', 'text').execute();
    const processor = createProcessor({ db, schema, handlers: [new LoggingHandler()] });
    const dispatch = async (mode: 'single' | 'batch', messages: InboundMessage[]) =>
      mode === 'single'
        ? await Promise.all(messages.map((message) => processor.dispatch(message)))
        : await processor.dispatchBatch(messages);

    await fc.assert(
      fc.asyncProperty(deliveries, async ({ mode, messages }) => {
        await sql`truncate effect_log, processed_keys, dead_letters`.execute(db);
        const first = await dispatch(mode, messages);
        const again = await dispatch(mode, messages.map(redeliveryOf));

        const outcomes = (results: DispatchResult[]) => results.map((result) => result.outcome);
        expect(outcomes(first).filter((o) => o !== 'processed' && o !== 'dead-lettered')).toEqual([]);
        // A message whose body decodes is processed, whatever its headers hold (in a batch too).
        messages.forEach((message, index) => {
          if (isJson(message.body)) expect(first[index]?.outcome).toBe('processed');
        });
        const processed = first.filter((r) => r.outcome === 'processed').map((r) => r.key);
        const deadLettered = first.filter((r) => r.outcome === 'dead-lettered').map((r) => r.key);
        const effects = await db
          .selectFrom('effect_log' as never)
          .select(sql<string>`key`.as('key'))
          .execute();
        expect(effects.map((row) => row.key).sort()).toEqual([...processed].sort());
        const records = await db
          .selectFrom('dead_letters' as never)
          .select(sql<string>`idempotency_key`.as('key'))
          .execute();
        expect(records.map((row) => row.key).sort()).toEqual([...deadLettered].sort());
        // The redelivery: a duplicate of what was processed; the poison is dead-lettered again.
        expect(outcomes(again)).toEqual(
          outcomes(first).map((outcome) => (outcome === 'processed' ? 'duplicate' : outcome)),
        );
        expect(again.map((result) => result.key)).toEqual(first.map((result) => result.key));
      }),
      { numRuns: 30 },
    );
  });
});
