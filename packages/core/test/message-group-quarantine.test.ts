import { describe, expect, it } from 'vitest';
import { createProcessor } from '../src/create-processor.js';
import type { InboundMessage } from '../src/message.js';
import { listQuarantinedGroups, releaseMessageGroup } from '../src/operations/message-group-quarantine.js';
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

describe('FIFO message group quarantine', () => {
  const database = useTestDatabase();

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

  it('parks the later messages of a group whose message was dead-lettered, and leaves other groups alone', async () => {
    const { db, schema, processor } = setup();
    const outcomes = [
      (await processor.dispatch(cartEvent('cart-a', 1))).outcome,
      (await processor.dispatch(cartEvent('cart-a', 2, { body: Buffer.from('not json') }))).outcome,
      (await processor.dispatch(cartEvent('cart-a', 3))).outcome,
      (await processor.dispatch(cartEvent('cart-b', 1))).outcome,
    ];
    expect(outcomes).toEqual(['processed', 'dead-lettered', 'dead-lettered', 'processed']);
    expect((await database().effects()).map((row) => row.key)).toEqual(['cart-a-1', 'cart-b-1']);
    expect(await listQuarantinedGroups(db, { schema })).toEqual([
      expect.objectContaining({
        consumerGroup: 'billing',
        messageGroup: 'cart-a',
        reason: 'BODY_DECODE_FAILED',
        openDeadLetters: 2,
      }),
    ]);
  });

  it('parks within one batch, after the dead-lettered message, and nothing before it', async () => {
    const { processor } = setup();
    const results = await processor.dispatchBatch([
      cartEvent('cart-a', 1),
      cartEvent('cart-a', 2, { body: Buffer.from('not json') }),
      cartEvent('cart-a', 3),
      cartEvent('cart-b', 1),
    ]);
    expect(
      results.map((result) => [result.outcome, 'error' in result ? result.error.code : undefined]),
    ).toEqual([
      ['processed', undefined],
      ['dead-lettered', 'BODY_DECODE_FAILED'],
      ['dead-lettered', 'GROUP_QUARANTINED'],
      ['processed', undefined],
    ]);
    expect(await database().count('processed_keys')).toBe(2);
  });

  it('replays the cause and the parked messages in order on release, and lifts the quarantine', async () => {
    const { db, schema, handlers, processor } = setup();
    handlers.rejectNext = true;
    await processor.dispatch(cartEvent('cart-a', 1));
    await processor.dispatch(cartEvent('cart-a', 2));
    await processor.dispatch(cartEvent('cart-a', 3));
    expect(await database().count('effects')).toBe(0);

    const report = await releaseMessageGroup(processor, db, 'cart-a');

    expect(report).toMatchObject({
      wasQuarantined: true,
      quarantinedAgain: false,
      replay: { replayed: 3, stillOpen: 0 },
    });
    expect((await database().effects()).map((row) => row.key)).toEqual(['cart-a-1', 'cart-a-2', 'cart-a-3']);
    expect(await listQuarantinedGroups(db, { schema })).toEqual([]);
    expect((await processor.dispatch(cartEvent('cart-a', 4))).outcome).toBe('processed');
  });

  it('quarantines the group again when the cause fails again on release, parking the rest again', async () => {
    const { db, schema, handlers, processor } = setup();
    handlers.failNext = 100;
    // The last delivery RocketMQ makes (1 + 16 retries): the default maxAttempts.
    const maxed = { deliveryAttempt: 17 };
    await processor.dispatch(cartEvent('cart-a', 1, maxed));
    await processor.dispatch(cartEvent('cart-a', 2));
    const report = await releaseMessageGroup(processor, db, 'cart-a');
    expect(report.quarantinedAgain).toBe(true);
    expect(report.replay.replayed).toBe(0);
    expect(await database().count('effects')).toBe(0);
    expect((await listQuarantinedGroups(db, { schema }))[0]?.openDeadLetters).toBe(2);
  });

  it("goes on with the group's later messages under onMessageGroupDeadLetter: 'continue'", async () => {
    const { db, schema, processor } = setup('continue');
    await processor.dispatch(cartEvent('cart-a', 1, { body: Buffer.from('not json') }));
    expect((await processor.dispatch(cartEvent('cart-a', 2))).outcome).toBe('processed');
    expect(await listQuarantinedGroups(db, { schema })).toEqual([]);
  });
});
