import { describe, expect, it } from 'vitest';
import { producerMessage, producerMessages, sentIds } from '../producer-messages.js';
import { stopAfterTest } from '../stop-after-test.js';
import type { AdapterUnderTest, BrokerUnderTest, BrokerUnderTestOptions } from './broker-under-test.js';

/** The producer behaviour both adapters promise alike, on the adapter's peer. */
export function describeProducerScenarios(adapter: AdapterUnderTest): void {
  const brokerWith = async (options: BrokerUnderTestOptions = {}): Promise<BrokerUnderTest> =>
    stopAfterTest(await adapter.startBroker(options));

  describe(`the ${adapter.name} producer`, () => {
    it('sends the messages of one message group in the order given', async () => {
      const broker = await brokerWith();
      const producer = stopAfterTest(await broker.startProducer());
      const messages = producerMessages('orders', 12, 'step', { messageGroup: 'customer-1' });
      sentIds(await producer.send(messages));
      expect(broker.storedKeys('orders')).toEqual(messages.map((message) => message.keys[0]));
    });

    it('reports an unknown topic as a rejection that is not retried and does not hold back other messages', async () => {
      const broker = await brokerWith({ topics: ['orders'] });
      const producer = stopAfterTest(await broker.startProducer({ retryForMs: 600_000 }));
      const outcomes = await producer.send([
        producerMessage('no-such-topic', 'lost', 0),
        ...producerMessages('orders', 3),
      ]);
      expect(outcomes[0]).toMatchObject({
        status: 'failed',
        error: { code: 'MESSAGE_REJECTED', retryable: false },
      });
      expect(outcomes.slice(1).map((outcome) => outcome.status)).toEqual(['sent', 'sent', 'sent']);
      expect(broker.storedKeys('orders')).toHaveLength(3);
    });
  });
}
