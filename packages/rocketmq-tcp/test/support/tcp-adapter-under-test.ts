import { type RocketMQPeerOptions, startRocketMQPeer } from '@idem/testing';
import type { AdapterUnderTest } from '../../../../test-support/adapters/broker-under-test.js';
import { createTcpProducer } from '../../src/index.js';

/** The TCP adapter against the RocketMQ gRPC peer, for the scenarios both adapters share. */
export function tcpAdapterUnderTest(
  options: RocketMQPeerOptions = { minInvisibleDurationMs: 1000 },
): AdapterUnderTest {
  return {
    name: 'TCP',
    packageDir: new URL('../..', import.meta.url),
    async startBroker(brokerOptions = {}) {
      const peer = await startRocketMQPeer({ ...options, ...brokerOptions });
      return {
        adapter: 'TCP',
        env: { IDEM_TEST_ENDPOINTS: peer.endpoints },
        groupOf: (role) => role,
        publish(topic, prefix, count) {
          for (let n = 0; n < count; n += 1)
            peer.publish({ topic, body: `${prefix} ${n}`, keys: [`${prefix}-${n}`] });
        },
        storedKeys: (topic) => peer.messages(topic).map((message) => message.keys[0] ?? ''),
        outage(ms) {
          // restart() crashes the broker and closes the port in its first steps, before anything the
          // caller does next reaches it; the peer offers no separate signal for it.
          return { down: Promise.resolve(), up: peer.restart({ downMs: ms }) };
        },
        async startProducer(producerOptions = {}) {
          const producer = createTcpProducer({
            endpoints: peer.endpoints,
            maxRetryDelayMs: 500,
            ...producerOptions,
          });
          await producer.start();
          return producer;
        },
        stop: () => peer.stop(),
      };
    },
  };
}
