import { describe, expect, it } from 'vitest';
import { createConsumerOutbox } from '../../src/consumer/consumer-outbox.js';
import { createConsumerRuntime } from '../../src/consumer/consumer-runtime.js';
import { createProcessor } from '../../src/create-processor.js';
import { QueueSource } from '../observability/support/queue-source.js';
import { inboundMessage } from '../support/messages.js';
import { outboxRows } from '../support/outbox-rows.js';
import { RecordingProducer } from '../support/recording-producer.js';
import { SendingHandlers } from '../support/sending-handlers.js';
import { useTestDatabase } from '../support/test-database.js';

describe('a consumer with an outbox', () => {
  const database = useTestDatabase();

  function consumer() {
    const { db, schema } = database();
    const processor = createProcessor({
      db,
      schema,
      handlers: [new SendingHandlers()],
      consumerGroup: 'billing',
    });
    const producer = new RecordingProducer();
    const source = new QueueSource();
    // A poll this slow never fires within a test: whatever goes out went through the hand-off.
    const outbox = createConsumerOutbox({ db, producer, processor, pollIntervalMs: 600_000 });
    const runtime = createConsumerRuntime({ source, processor, outbox });
    return { runtime, source, producer, outbox };
  }

  it("hands a committed message's rows to the producer at once, without waiting for a poll", async () => {
    const { runtime, source, producer } = consumer();
    await runtime.start();
    expect(producer.started).toBe(true);

    const message = inboundMessage({ keys: ['o-1'], json: { orderId: 'o-1', amount: 1 } });
    source.push(message);

    await expect.poll(() => source.acked).toEqual([message.messageId]);
    await expect
      .poll(() => producer.confirmed.map((sent) => sent.keys[0]))
      .toEqual(['billing/o-1/order-events/1', 'billing/o-1/order-events/2', 'billing/o-1/audit/3']);
    await expect.poll(async () => (await outboxRows(database())).length).toBe(0);
    await runtime.stop();
    expect(producer.stopped).toBe(true);
  });

  it('delivers rows a crashed consumer left behind as soon as it starts', async () => {
    const first = consumer();
    await first.runtime.start();
    first.source.push(inboundMessage({ keys: ['o-1'], json: { orderId: 'o-1', amount: 1 } }));
    await expect.poll(() => first.source.acked).toHaveLength(1);
    await first.runtime.stop();
    // As if the process died after COMMIT and before the producer was reached.
    const { db, schema } = database();
    const { sendInTransaction } = await import('../../src/outbox/send-in-transaction.js');
    await db.transaction().execute(async (trx) => {
      await sendInTransaction(trx, { topic: 'order-events', keys: ['left-behind'], body: '{}' }, { schema });
    });

    const second = consumer();
    await second.runtime.start();

    await expect.poll(() => second.producer.confirmed.map((sent) => sent.keys[0])).toEqual(['left-behind']);
    await second.runtime.stop();
  });
});
