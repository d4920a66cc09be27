import { describe, expect, it } from 'vitest';
import type { InboundMessage } from '../src/message.js';
import { listQuarantinedGroups, releaseMessageGroup } from '../src/operations/message-group-quarantine.js';
import { createProcessor } from '../src/processor/create-processor.js';
import type { DispatchResult } from '../src/processor/dispatch-result.js';
import { DISPATCH_MODES, dispatchIn } from './support/dispatch-modes.js';
import { OrderHandlers } from './support/handlers.js';
import { inboundMessage } from './support/messages.js';
import { useTestDatabase } from './support/test-database.js';

function cartEvent(group: string, index: number, overrides: Partial<InboundMessage> = {}): InboundMessage {
  return inboundMessage({
    keys: [`${group}-${index}`],
    messageGroup: group,
    json: { orderId: `${group}-${index}`, amount: index },
    ...overrides,
  });
}

describe.each(DISPATCH_MODES)('FIFO message group quarantine, %s dispatch', (mode) => {
  const database = useTestDatabase();
  const codes = (results: readonly DispatchResult[]) =>
    results.map((result) => [result.outcome, 'error' in result ? result.error.code : undefined]);

  function setup(policy?: 'quarantine' | 'continue') {
    const { db, schema } = database();
    const handlers = new OrderHandlers();
    const processor = createProcessor({
      db,
      schema,
      handlers: [handlers],
      consumerGroup: 'billing',
      ...(policy === undefined ? {} : { onMessageGroupDeadLetter: policy }),
    });
    return { db, schema, handlers, processor };
  }

  it('quarantines the later messages of a group whose message was dead-lettered, and leaves earlier messages and other groups alone', async () => {
    const { db, schema, processor } = setup();
    const results = await dispatchIn(mode, processor, [
      cartEvent('cart-a', 1),
      cartEvent('cart-a', 2, { body: Buffer.from('not json') }),
      cartEvent('cart-a', 3),
      cartEvent('cart-b', 1),
    ]);
    expect(codes(results)).toEqual([
      ['processed', undefined],
      ['dead-lettered', 'BODY_DECODE_FAILED'],
      ['dead-lettered', 'GROUP_QUARANTINED'],
      ['processed', undefined],
    ]);
    expect((await database().effects()).map((row) => row.key)).toEqual(['cart-a-1', 'cart-b-1']);
    expect(await database().count('processed_keys')).toBe(2);
    expect(await listQuarantinedGroups(db, { schema })).toEqual([
      expect.objectContaining({
        consumerGroup: 'billing',
        messageGroup: 'cart-a',
        reason: 'BODY_DECODE_FAILED',
        openDeadLetters: 2,
      }),
    ]);
  });

  it('quarantines the group after a handler rejects a message, in the same dispatch', async () => {
    const { handlers, processor } = setup();
    handlers.rejectNext = true;
    const results = await dispatchIn(mode, processor, [
      cartEvent('cart-a', 1),
      cartEvent('cart-a', 2),
      cartEvent('cart-b', 1),
    ]);
    expect(codes(results)).toEqual([
      ['dead-lettered', 'HANDLER_REJECTED'],
      ['dead-lettered', 'GROUP_QUARANTINED'],
      ['processed', undefined],
    ]);
    expect((await database().effects()).map((row) => row.key)).toEqual(['cart-b-1']);
  });

  it('replays the cause and the quarantined messages in order on release, and lifts the quarantine', async () => {
    const { db, schema, handlers, processor } = setup();
    handlers.rejectNext = true;
    await dispatchIn(mode, processor, [
      cartEvent('cart-a', 1),
      cartEvent('cart-a', 2),
      cartEvent('cart-a', 3),
    ]);
    expect(await database().count('effects')).toBe(0);

    const report = await releaseMessageGroup(processor, db, 'cart-a');

    expect(report).toMatchObject({
      wasQuarantined: true,
      quarantinedAgain: false,
      replay: { replayed: 3, stillOpen: 0 },
    });
    expect((await database().effects()).map((row) => row.key)).toEqual(['cart-a-1', 'cart-a-2', 'cart-a-3']);
    expect(await listQuarantinedGroups(db, { schema })).toEqual([]);
    expect(codes(await dispatchIn(mode, processor, [cartEvent('cart-a', 4)]))).toEqual([
      ['processed', undefined],
    ]);
  });

  it('quarantines the group again when the cause fails again on release, keeping the rest quarantined', async () => {
    const { db, schema, handlers, processor } = setup();
    handlers.failNext = 100;
    // The last delivery RocketMQ makes (1 + 16 retries): the default maxAttempts.
    const maxed = { deliveryAttempt: 17 };
    await dispatchIn(mode, processor, [cartEvent('cart-a', 1, maxed), cartEvent('cart-a', 2)]);
    const report = await releaseMessageGroup(processor, db, 'cart-a');
    expect(report.quarantinedAgain).toBe(true);
    expect(report.replay.replayed).toBe(0);
    expect(await database().count('effects')).toBe(0);
    expect((await listQuarantinedGroups(db, { schema }))[0]?.openDeadLetters).toBe(2);
  });

  it("goes on with the group's later messages under onMessageGroupDeadLetter: 'continue'", async () => {
    const { db, schema, processor } = setup('continue');
    const results = await dispatchIn(mode, processor, [
      cartEvent('cart-a', 1, { body: Buffer.from('not json') }),
      cartEvent('cart-a', 2),
    ]);
    expect(codes(results)).toEqual([
      ['dead-lettered', 'BODY_DECODE_FAILED'],
      ['processed', undefined],
    ]);
    expect(await listQuarantinedGroups(db, { schema })).toEqual([]);
  });

  it("lets a group quarantined under 'quarantine' flow once the service runs with 'continue'", async () => {
    const { db, schema } = database();
    const quarantining = setup('quarantine').processor;
    await dispatchIn(mode, quarantining, [cartEvent('cart-a', 1, { body: Buffer.from('not json') })]);
    expect(await listQuarantinedGroups(db, { schema })).toHaveLength(1);

    const continuing = setup('continue').processor;
    const results = await dispatchIn(mode, continuing, [cartEvent('cart-a', 2), cartEvent('cart-a', 3)]);

    expect(codes(results)).toEqual([
      ['processed', undefined],
      ['processed', undefined],
    ]);
    // The record stays for an operator to release; it no longer holds the group back.
    expect(await listQuarantinedGroups(db, { schema })).toHaveLength(1);
  });
});
