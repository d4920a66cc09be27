import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createProcessor } from '../../src/create-processor.js';
import { purgeDeadLetters } from '../../src/dead-letters/purge-dead-letters.js';
import { getDeadLetter, listDeadLetters } from '../../src/dead-letters/read-dead-letters.js';
import { replayDeadLetters } from '../../src/dead-letters/replay-dead-letters.js';
import { Consumer, Subscribe } from '../../src/decorators/handler-metadata.js';
import { DeadLetterError } from '../../src/errors.js';
import type { HandlerContext } from '../../src/handler-context.js';
import type { InboundMessage } from '../../src/message.js';
import { OrderHandlers } from '../support/handlers.js';
import { inboundMessage } from '../support/messages.js';
import { type TestTables, useTestDatabase } from '../support/test-database.js';

describe('dead letters', () => {
  const database = useTestDatabase();

  function setup(group = 'billing') {
    const { db, schema } = database();
    const handlers = new OrderHandlers();
    const processor = createProcessor({ db, schema, handlers: [handlers], consumerGroup: group });
    return { db, schema, handlers, processor };
  }

  async function rows(): Promise<
    { id: string; idempotency_key: string; resolution: string | null; occurrences: number }[]
  > {
    const { db, schema } = database();
    const result = await sql<{
      id: string;
      idempotency_key: string;
      resolution: string | null;
      occurrences: number;
    }>`
      select id, idempotency_key, resolution, occurrences from ${sql.table(`${schema}.dead_letters`)} order by id`.execute(
      db,
    );
    return result.rows;
  }

  describe('listDeadLetters and getDeadLetter', () => {
    it('lists open dead letters newest first without bodies, filtered, and shows one with its body', async () => {
      const { db, schema, handlers, processor } = setup();
      await processor.dispatch(inboundMessage({ keys: ['bad-json'], body: Buffer.from('{nope') }));
      handlers.rejectNext = true;
      await processor.dispatch(
        inboundMessage({ keys: ['rejected'], properties: { traceId: 't-1' }, messageGroup: 'customer-7' }),
      );
      await processor.dispatch(inboundMessage({ tag: undefined, keys: ['no-tag'] }));

      const all = await listDeadLetters(db, { schema });
      expect(all.map((row) => [row.idempotencyKey, row.reason])).toEqual([
        ['no-tag', 'NO_HANDLER'],
        ['rejected', 'HANDLER_REJECTED'],
        ['bad-json', 'BODY_DECODE_FAILED'],
      ]);
      expect(all[0]).not.toHaveProperty('body');
      expect(all[0]).toMatchObject({
        tag: undefined,
        bodyBytes: Buffer.byteLength(JSON.stringify({ orderId: 'o-1', amount: 10 })),
        resolvedAt: undefined,
        consumerGroup: 'billing',
      });
      expect(await listDeadLetters(db, { schema, reason: 'HANDLER_REJECTED' })).toHaveLength(1);
      expect(await listDeadLetters(db, { schema, consumerGroup: 'shipping' })).toEqual([]);
      expect(await listDeadLetters(db, { schema, topic: 'orders', limit: 2 })).toHaveLength(2);

      const rejected = all[1];
      if (rejected === undefined) throw new Error('missing row');
      const shown = await getDeadLetter(db, rejected.id, { schema });
      expect(shown).toMatchObject({
        id: rejected.id,
        idempotencyKey: 'rejected',
        handler: 'OrderHandlers.onOrderCreated',
        properties: { traceId: 't-1' },
        messageGroup: 'customer-7',
        tag: 'created',
        errorMessage: expect.stringContaining('unknown customer'),
        body: Buffer.from(JSON.stringify({ orderId: 'o-1', amount: 10 })),
      });
      expect(await getDeadLetter(db, '999999', { schema })).toBeUndefined();
      await expect(getDeadLetter(db, '1; drop table x', { schema })).rejects.toMatchObject({
        code: 'INVALID_CONFIGURATION',
      });
    });
  });

  describe('purgeDeadLetters', () => {
    it('marks dead letters purged and keeps the rows for the audit trail', async () => {
      const { db, schema, processor } = setup();
      for (const key of ['a', 'b', 'c']) {
        await processor.dispatch(inboundMessage({ keys: [key], body: Buffer.from('x') }));
      }
      const [a, b] = (await rows()).map((row) => row.id);
      if (a === undefined || b === undefined) throw new Error('missing rows');

      expect(await purgeDeadLetters(db, { schema, ids: [a] })).toEqual({ purgedIds: [a], notOpenIds: [] });
      expect(await purgeDeadLetters(db, { schema, ids: [a, b, '424242'] })).toEqual({
        purgedIds: [b],
        notOpenIds: [a, '424242'],
      });
      expect((await rows()).map((row) => row.resolution)).toEqual(['purged', 'purged', null]);
      expect(await listDeadLetters(db, { schema })).toHaveLength(1);
      expect(await listDeadLetters(db, { schema, includeResolved: true })).toHaveLength(3);
    });

    it('purges all open dead letters of one group', async () => {
      const { db, schema } = database();
      await setup('billing').processor.dispatch(inboundMessage({ keys: ['b'], body: Buffer.from('x') }));
      await setup('shipping').processor.dispatch(inboundMessage({ keys: ['s'], body: Buffer.from('x') }));

      const report = await purgeDeadLetters(db, { schema, all: true, consumerGroup: 'shipping' });

      expect(report.purgedIds).toHaveLength(1);
      expect((await listDeadLetters(db, { schema })).map((row) => row.consumerGroup)).toEqual(['billing']);
      expect(
        await purgeDeadLetters(db, {
          schema,
          ids: (await rows()).map((row) => row.id),
          consumerGroup: 'shipping',
        }),
      ).toMatchObject({ purgedIds: [] });
    });

    it('wants ids or all, not both and not neither', async () => {
      const { db, schema } = database();
      await expect(purgeDeadLetters(db, { schema })).rejects.toMatchObject({ code: 'INVALID_CONFIGURATION' });
      await expect(purgeDeadLetters(db, { schema, ids: ['1'], all: true })).rejects.toMatchObject({
        code: 'INVALID_CONFIGURATION',
      });
    });
  });

  describe('replayDeadLetters', () => {
    it('processes a dead letter again once the handler is fixed, and resolves it replayed', async () => {
      const { db, handlers, processor } = setup();
      handlers.rejectNext = true;
      await processor.dispatch(inboundMessage({ keys: ['order-9'], json: { orderId: 'o-9', amount: 9 } }));
      const [deadLetter] = await rows();
      if (deadLetter === undefined) throw new Error('not dead-lettered');
      expect(await database().effects()).toEqual([]);

      const report = await replayDeadLetters(processor, db, { ids: [deadLetter.id] });

      expect(report).toMatchObject({
        replayed: 1,
        stillOpen: 0,
        skipped: 0,
        items: [{ id: deadLetter.id, outcome: 'replayed', dispatchOutcome: 'processed', key: 'order-9' }],
      });
      expect(await database().effects()).toEqual([{ key: 'order-9', handler: 'onOrderCreated', value: 9 }]);
      expect(await rows()).toEqual([expect.objectContaining({ id: deadLetter.id, resolution: 'replayed' })]);
      // Replaying it again does nothing: it is no longer open.
      expect((await replayDeadLetters(processor, db, { ids: [deadLetter.id] })).items[0]).toMatchObject({
        outcome: 'skipped',
        detail: 'already resolved (replayed)',
      });
    });

    it('rebuilds the stored delivery: topic, tag, keys, id, body, properties, message group, attempt 1', async () => {
      const { db, schema } = database();
      const seen: InboundMessage[] = [];
      @Consumer({ group: 'billing' })
      class Capturing {
        reject = true;
        @Subscribe({ topic: 'orders', tag: 'created' })
        async handle(_body: unknown, ctx: HandlerContext<TestTables>): Promise<void> {
          seen.push(ctx.message);
          if (this.reject) throw new DeadLetterError('not yet');
        }
      }
      const handler = new Capturing();
      // 'continue': this test replays one message of a FIFO group on its own; under the default
      // quarantine, a group's dead letters are replayed in order by releaseMessageGroup.
      const processor = createProcessor({
        db,
        schema,
        handlers: [handler],
        onMessageGroupDeadLetter: 'continue',
      });
      const original = inboundMessage({
        keys: ['k-1', 'k-2'],
        properties: { a: '1', b: 'two' },
        messageGroup: 'g-1',
        deliveryAttempt: 5,
        transport: 'rocketmq-grpc',
      });
      await processor.dispatch(original);
      handler.reject = false;

      await replayDeadLetters(processor, db, { all: true });

      expect(seen[1]).toEqual({ ...original, deliveryAttempt: 1, bornAt: original.bornAt });
    });

    it('leaves a dead letter open and updates the same row when it is dead-lettered again', async () => {
      const { db, processor } = setup();
      await processor.dispatch(inboundMessage({ keys: ['still-bad'], body: Buffer.from('{nope') }));
      const [before] = await rows();

      const report = await replayDeadLetters(processor, db, { all: true });

      expect(report).toMatchObject({ replayed: 0, stillOpen: 1 });
      expect(report.items[0]).toMatchObject({
        outcome: 'dead-lettered',
        dispatchOutcome: 'dead-lettered',
        error: { code: 'BODY_DECODE_FAILED' },
      });
      expect(await rows()).toEqual([{ ...before, occurrences: 2 }]);
    });

    it('leaves a dead letter open when the handler still fails, and reports why', async () => {
      const { db, handlers, processor } = setup();
      handlers.rejectNext = true;
      await processor.dispatch(inboundMessage({ keys: ['flaky'] }));
      handlers.failNext = 1;

      const report = await replayDeadLetters(processor, db, { all: true });

      expect(report.items[0]).toMatchObject({
        outcome: 'failed',
        error: { code: 'HANDLER_FAILED' },
        detail: expect.stringContaining('payment service down'),
      });
      expect(await rows()).toEqual([expect.objectContaining({ resolution: null, occurrences: 1 })]);
      expect(await database().effects()).toEqual([]);
    });

    it('resolves a dead letter whose key was processed meanwhile, without running the handler', async () => {
      const { db, handlers, processor } = setup();
      handlers.rejectNext = true;
      const message = inboundMessage({ keys: ['raced'] });
      await processor.dispatch(message);
      // A producer re-send of the same event got through after the fix.
      await processor.dispatch({ ...message, messageId: 'RESENT' });
      const calls = handlers.calls;

      const report = await replayDeadLetters(processor, db, { all: true });

      expect(report.items[0]).toMatchObject({ outcome: 'replayed', dispatchOutcome: 'duplicate' });
      expect(handlers.calls).toBe(calls);
      expect(await database().count('effects')).toBe(1);
    });

    it('skips dead letters of another consumer group and ids that do not exist', async () => {
      const { db } = database();
      await setup('shipping').processor.dispatch(inboundMessage({ keys: ['s'], body: Buffer.from('x') }));
      const [shipping] = await rows();
      if (shipping === undefined) throw new Error('missing row');

      const report = await replayDeadLetters(setup('billing').processor, db, {
        ids: [shipping.id, '777777'],
      });

      expect(report.items).toEqual([
        expect.objectContaining({
          id: shipping.id,
          outcome: 'skipped',
          detail: expect.stringContaining('"shipping"'),
        }),
        { id: '777777', outcome: 'skipped', detail: 'no dead letter has this id' },
      ]);
      expect(await rows()).toEqual([expect.objectContaining({ resolution: null })]);
      // --all only takes the processor's own group.
      expect((await replayDeadLetters(setup('billing').processor, db, { all: true })).items).toEqual([]);
    });

    it('closes the old row as superseded when a new key function moves the message to a new dead letter', async () => {
      const { db, schema } = database();
      // Before the fix no handler took tag "paid": dead-lettered under the message key.
      await setup().processor.dispatch(
        inboundMessage({ tag: 'paid', keys: ['msg-key'], json: { paymentId: 'p-1' } }),
      );
      @Consumer({ group: 'billing' })
      class Payments {
        @Subscribe<{ paymentId: string }>({
          topic: 'orders',
          tag: 'paid',
          key: (_message, body) => `payment:${body.paymentId}`,
        })
        async paid(): Promise<void> {
          throw new DeadLetterError('refunds are not supported yet');
        }
      }
      const processor = createProcessor({ db, schema, handlers: [new Payments()] });

      const report = await replayDeadLetters(processor, db, { all: true });

      const [old, moved] = await rows();
      expect(old).toMatchObject({ idempotency_key: 'msg-key', resolution: 'superseded' });
      expect(moved).toMatchObject({ idempotency_key: 'payment:p-1', resolution: null });
      expect(report.items[0]).toMatchObject({
        outcome: 'dead-lettered',
        key: 'payment:p-1',
        openDeadLetterId: moved?.id,
        error: { code: 'HANDLER_REJECTED' },
      });
    });

    it('replays all open dead letters page by page, each once, up to a limit', async () => {
      const { db, handlers, processor } = setup();
      for (let index = 0; index < 130; index += 1) {
        handlers.rejectNext = true;
        await processor.dispatch(
          inboundMessage({ keys: [`bulk-${index}`], json: { orderId: `o-${index}`, amount: index } }),
        );
      }
      const limited = await replayDeadLetters(processor, db, { all: true, limit: 5 });
      expect(limited.replayed).toBe(5);

      const rest = await replayDeadLetters(processor, db, { all: true });

      expect(rest).toMatchObject({ replayed: 125, stillOpen: 0 });
      expect(new Set(rest.items.map((item) => item.id)).size).toBe(125);
      expect(await database().count('effects')).toBe(130);
      expect(await listDeadLetters(db, { schema: database().schema })).toEqual([]);
    });
  });
});
