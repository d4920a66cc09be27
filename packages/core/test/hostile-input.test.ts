import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createProcessor } from '../src/create-processor.js';
import { deadLetterToMessage } from '../src/dead-letters/dead-letter-to-message.js';
import { getDeadLetter, listDeadLetters } from '../src/dead-letters/read-dead-letters.js';
import { Consumer, Subscribe } from '../src/decorators/handler-metadata.js';
import type { DispatchResult } from '../src/dispatch-result.js';
import type { HandlerContext } from '../src/handler-context.js';
import type { InboundMessage } from '../src/message.js';
import { toWtf8 } from '../src/storable-key.js';
import { OrderHandlers } from './support/handlers.js';
import { inboundMessage, redeliveryOf } from './support/messages.js';
import { type TestTables, useTestDatabase } from './support/test-database.js';

/** Writes the message's first key as it came, unsafe as it may be, into the effects table. */
@Consumer({ group: 'billing' })
class RawKeyWriter {
  @Subscribe({ topic: 'raw' })
  async handle(_body: unknown, ctx: HandlerContext<TestTables>): Promise<void> {
    await ctx.trx
      .insertInto('effects')
      .values({ key: ctx.message.keys[0] ?? '', handler: 'raw', value: 1 })
      .execute();
  }
}

const NUL_KEY = 'order\u00001';
const SURROGATE_KEY = 'order\ud800-2';
const LONG_KEY = randomBytes(2048).toString('hex'); // 4,096 bytes: over the btree limit of 2,704

describe.each(['single', 'batch'] as const)('hostile input (%s dispatch)', (mode) => {
  const database = useTestDatabase();

  function setup() {
    const { db, schema } = database();
    const handlers = new OrderHandlers();
    const processor = createProcessor({
      db,
      schema,
      handlers: [handlers, new RawKeyWriter()],
      consumerGroup: 'billing',
    });
    const dispatch = async (messages: InboundMessage[]): Promise<DispatchResult[]> =>
      mode === 'single'
        ? await Promise.all(messages.map((message) => processor.dispatch(message)))
        : await processor.dispatchBatch(messages);
    return { handlers, processor, dispatch };
  }

  async function storedKeys(): Promise<{ key: string; original: Buffer | null }[]> {
    const { db } = database();
    const result = await sql<{ key: string; original: Buffer | null }>`
      select idempotency_key as key, original_key as original from processed_keys order by key`.execute(db);
    return result.rows;
  }

  it.each([
    ['a key containing NUL', { keys: [NUL_KEY] }, NUL_KEY],
    ['no keys and a message id containing NUL', { keys: [], messageId: 'MSG\u0000ID' }, 'MSG\u0000ID'],
    ['a 4 KB key', { keys: [LONG_KEY] }, LONG_KEY],
    ['a key with a lone surrogate', { keys: [SURROGATE_KEY] }, SURROGATE_KEY],
  ])(
    'processes a message with %s once, stores its key as a digest, and skips its redelivery',
    async (_name, overrides, rawKey) => {
      const { handlers, dispatch } = setup();
      const message = inboundMessage(overrides);

      const [first] = await dispatch([message]);
      const [second] = await dispatch([redeliveryOf(message)]);

      expect(first).toMatchObject({
        outcome: 'processed',
        key: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      });
      expect(second).toMatchObject({ outcome: 'duplicate', key: first?.key, duplicateKind: 'redelivery' });
      expect(handlers.calls).toBe(1);
      expect(await database().effects()).toEqual([{ key: first?.key, handler: 'onOrderCreated', value: 10 }]);
      expect(await storedKeys()).toEqual([{ key: first?.key, original: toWtf8(rawKey) }]);
    },
  );

  it('never merges keys that differ only in a lone surrogate or its replacement character', async () => {
    const { handlers, dispatch } = setup();
    const keys = [SURROGATE_KEY, 'order\udbff-2', 'order\ufffd-2'];
    const results = await dispatch(keys.map((key) => inboundMessage({ keys: [key] })));

    expect(results.map((result) => result.outcome)).toEqual(['processed', 'processed', 'processed']);
    expect(new Set(results.map((result) => result.key)).size).toBe(3);
    expect(results[2]?.key).toBe('order\ufffd-2'); // well-formed: stored verbatim
    expect(handlers.calls).toBe(3);
  });

  it('keeps a well-formed key of up to 512 bytes verbatim', async () => {
    const { dispatch } = setup();
    const key = 'é'.repeat(256); // 512 UTF-8 bytes
    const [result] = await dispatch([inboundMessage({ keys: [key] })]);
    expect(result).toMatchObject({ outcome: 'processed', key });
    expect(await storedKeys()).toEqual([{ key, original: null }]);
  });

  it('processes the good messages of a delivery and dead-letters the one whose data Postgres refuses in the claim', async () => {
    const { dispatch } = setup();
    const good = Array.from({ length: 8 }, (_, index) => inboundMessage({ keys: [`order-${index}`] }));
    // An attempt count beyond Postgres's integer: refused (22003) by the claim itself.
    const hostile = inboundMessage({ keys: ['order-x'], deliveryAttempt: 2 ** 31 });

    const results = await dispatch([...good.slice(0, 4), hostile, ...good.slice(4)]);

    expect(results.map((result) => result.outcome)).toEqual([
      ...Array(4).fill('processed'),
      'dead-lettered',
      ...Array(4).fill('processed'),
    ]);
    expect(results[4]).toMatchObject({
      error: {
        code: 'MESSAGE_DATA_REJECTED',
        retryable: false,
        message: expect.stringContaining('SQLSTATE 22003'),
      },
    });
    expect((await database().effects()).map((row) => row.key)).toEqual(good.map((m) => m.keys[0]).sort());
    const [deadLetter] = await listDeadLetters(database().db, { schema: database().schema });
    expect(deadLetter).toMatchObject({ idempotencyKey: 'order-x', reason: 'MESSAGE_DATA_REJECTED' });
  });

  it('processes the good messages and dead-letters the one whose handler writes data Postgres refuses', async () => {
    const { dispatch } = setup();
    const good = Array.from({ length: 8 }, (_, index) => inboundMessage({ keys: [`order-${index}`] }));
    const hostile = inboundMessage({ topic: 'raw', keys: [NUL_KEY] });

    const results = await dispatch([hostile, ...good]);

    expect(results.map((result) => result.outcome)).toEqual(['dead-lettered', ...Array(8).fill('processed')]);
    expect(results[0]).toMatchObject({ error: { code: 'MESSAGE_DATA_REJECTED', retryable: false } });
    expect(await database().count('effects')).toBe(8);
    expect(await database().count('dead_letters')).toBe(1);
  });

  it('stores the dead letter of a message whose every header is hostile, and replays it exactly', async () => {
    const { dispatch } = setup();
    const message = inboundMessage({
      keys: [NUL_KEY, SURROGATE_KEY],
      messageId: `ID\u0000${LONG_KEY}`,
      tag: 'created',
      properties: { 'name\u0000': 'value\u0000', lone: '\udfff', '\ud800': LONG_KEY },
      messageGroup: 'group\u0000\ud800',
      body: Buffer.from([0xff, 0x00, 0xfe]), // not JSON: dead-lettered before any claim
    });

    const [result] = await dispatch([message]);

    expect(result).toMatchObject({ outcome: 'dead-lettered', error: { code: 'BODY_DECODE_FAILED' } });
    const [summary] = await listDeadLetters(database().db, { schema: database().schema });
    expect(summary).toMatchObject({
      idempotencyKey: result?.key,
      messageId: `ID\\u0000${LONG_KEY}`,
      keys: ['order\\u00001', 'order\ufffd-2'],
      properties: { 'name\\u0000': 'value\\u0000', lone: '\ufffd', '\ufffd': LONG_KEY },
    });
    const stored = await getDeadLetter(database().db, summary?.id ?? '', { schema: database().schema });
    expect(stored === undefined ? undefined : deadLetterToMessage(stored)).toEqual({
      ...message,
      deliveryAttempt: 1,
    });
  });
});
