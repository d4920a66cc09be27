import { describe, expect, it } from 'vitest';
import { createProcessor } from '../../src/create-processor.js';
import { IdemError } from '../../src/errors.js';
import { createOutboxRelay, type OutboxRelay } from '../../src/outbox/create-outbox-relay.js';
import { OrderHandlers } from '../support/handlers.js';
import { inboundMessage, redeliveryOf } from '../support/messages.js';
import { outboxRows } from '../support/outbox-rows.js';
import { RecordingProducer } from '../support/recording-producer.js';
import { SendingHandlers } from '../support/sending-handlers.js';
import { useTestDatabase } from '../support/test-database.js';

describe('ctx.send', () => {
  const database = useTestDatabase();

  function setup() {
    const { db, schema } = database();
    const handlers = new SendingHandlers();
    const processor = createProcessor({ db, schema, handlers: [handlers], consumerGroup: 'billing' });
    const producer = new RecordingProducer();
    const relays: OutboxRelay[] = [];
    const startRelay = async (): Promise<OutboxRelay> => {
      const relay = createOutboxRelay({ db, schema, producer, pollIntervalMs: 50 });
      relays.push(relay);
      await relay.start();
      return relay;
    };
    return {
      processor,
      handlers,
      producer,
      startRelay,
      stopAll: () => Promise.all(relays.map((r) => r.stop())),
    };
  }

  it('stores nothing and sends nothing when the handler throws after sending', async () => {
    const { processor, handlers, producer, startRelay, stopAll } = setup();
    handlers.failing.add('o-1');

    const failed = await processor.dispatch(
      inboundMessage({ keys: ['o-1'], json: { orderId: 'o-1', amount: 1 } }),
    );
    expect(failed.outcome).toBe('failed');
    expect(await outboxRows(database())).toEqual([]);

    // A committed message afterwards is the marker: once it went out, the relay had its chance.
    await processor.dispatch(inboundMessage({ keys: ['o-2'], json: { orderId: 'o-2', amount: 1 } }));
    await startRelay();
    await expect.poll(() => producer.confirmed.length).toBe(3);
    expect(producer.confirmed.every((message) => message.keys[0]?.startsWith('billing/o-2/'))).toBe(true);
    await stopAll();
  });

  it('sends the messages of a committed handler exactly once, and nothing again for a duplicate delivery', async () => {
    const { processor, producer, startRelay, stopAll } = setup();
    const message = inboundMessage({ keys: ['o-1'], json: { orderId: 'o-1', amount: 1 } });

    expect((await processor.dispatch(message)).outcome).toBe('processed');
    await startRelay();
    await expect.poll(() => producer.confirmed.length).toBe(3);
    expect((await processor.dispatch(redeliveryOf(message))).outcome).toBe('duplicate');
    await processor.dispatch(inboundMessage({ keys: ['o-2'], json: { orderId: 'o-2', amount: 1 } }));
    await expect.poll(() => producer.confirmed.length).toBe(6);
    await expect.poll(async () => (await outboxRows(database())).length).toBe(0);

    const keys = producer.confirmed.map((sent) => sent.keys.join(','));
    expect(keys.filter((key) => key.startsWith('billing/o-1/'))).toHaveLength(3);
    expect(new Set(keys).size).toBe(6);
    expect(JSON.parse(producer.confirmed[0]?.body.toString() ?? '')).toEqual({ orderId: 'o-1', amount: 1 });
    expect(producer.confirmed[2]?.body.toString()).toBe('order o-1');
    await stopAll();
  });

  it('derives keys from the consumer group, the incoming key, the topic and the position of the send, the same on every attempt', async () => {
    const { processor, handlers } = setup();
    handlers.failing.add('o-1');
    const message = inboundMessage({ keys: ['o-1'], json: { orderId: 'o-1', amount: 1 } });
    expect((await processor.dispatch(message)).outcome).toBe('failed');
    handlers.failing.clear();
    expect((await processor.dispatch(redeliveryOf(message))).outcome).toBe('processed');
    await processor.dispatch(inboundMessage({ keys: ['o-2'], json: { orderId: 'o-2', amount: 1 } }));

    const rows = await outboxRows(database());
    expect(rows.map((row) => [row.topic, row.keys, row.source_key, row.consumer_group])).toEqual([
      ['order-events', ['billing/o-1/order-events/1'], 'o-1', 'billing'],
      ['order-events', ['billing/o-1/order-events/2'], 'o-1', 'billing'],
      ['audit', ['billing/o-1/audit/3'], 'o-1', 'billing'],
      ['order-events', ['billing/o-2/order-events/1'], 'o-2', 'billing'],
      ['order-events', ['billing/o-2/order-events/2'], 'o-2', 'billing'],
      ['audit', ['billing/o-2/audit/3'], 'o-2', 'billing'],
    ]);
    expect(new Set(rows.map((row) => row.keys[0])).size).toBe(rows.length);
  });

  it('derives different keys for two consumer groups sending for the same incoming key, so downstream processes both', async () => {
    const { db, schema } = database();
    const groups = ['billing', 'shipping'].map((consumerGroup) =>
      createProcessor({ db, schema, handlers: [new SendingHandlers()], consumerGroup }),
    );
    const incoming = inboundMessage({ keys: ['o-1'], json: { orderId: 'o-1', amount: 1 } });
    for (const processor of groups) expect((await processor.dispatch(incoming)).outcome).toBe('processed');

    const rows = (await outboxRows(database())).filter((row) => row.topic === 'audit');
    expect(rows.map((row) => row.keys)).toEqual([['billing/o-1/audit/3'], ['shipping/o-1/audit/3']]);
    // A downstream Idem consumer keys on the first message key by default: both are new to it.
    const downstream = createProcessor({
      db,
      schema,
      handlers: [new OrderHandlers()],
      consumerGroup: 'audit-log',
    });
    const outcomes = [];
    for (const row of rows)
      outcomes.push((await downstream.dispatch(inboundMessage({ keys: row.keys }))).outcome);
    expect(outcomes).toEqual(['processed', 'processed']);
    expect((await database().effects()).map((effect) => effect.key)).toEqual([
      'billing/o-1/audit/3',
      'shipping/o-1/audit/3',
    ]);
  });

  it("removes only the failed message's rows in batch mode", async () => {
    const { processor, handlers } = setup();
    handlers.failing.add('o-2');
    const messages = ['o-1', 'o-2', 'o-3'].map((orderId) =>
      inboundMessage({ keys: [orderId], json: { orderId, amount: 1 } }),
    );

    const results = await processor.dispatchBatch(messages);

    expect(results.map((result) => result.outcome)).toEqual(['processed', 'failed', 'processed']);
    const sources = (await outboxRows(database())).map((row) => row.source_key);
    expect(sources).toEqual(['o-1', 'o-1', 'o-1', 'o-3', 'o-3', 'o-3']);
  });

  it("refuses a message that Postgres could not store, as the handler's fault", async () => {
    const { db, schema } = database();
    const { sendInTransaction } = await import('../../src/outbox/send-in-transaction.js');
    const attempt = db.transaction().execute(async (trx) => {
      await sendInTransaction(trx, { topic: 'a', keys: ['k\u0000'], body: 'x' }, { schema });
    });
    await expect(attempt).rejects.toSatisfy(
      (error) => error instanceof IdemError && error.code === 'MESSAGE_REJECTED',
    );
    const withoutKey = db.transaction().execute(async (trx) => {
      await sendInTransaction(trx, { topic: 'a', body: 'x' }, { schema });
    });
    await expect(withoutKey).rejects.toSatisfy(
      (error) => error instanceof IdemError && error.code === 'MESSAGE_REJECTED',
    );
  });
});
