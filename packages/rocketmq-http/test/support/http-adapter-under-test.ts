import { type MqHttpPeerOptions, startMqHttpPeer } from '@idem/testing';
import type { AdapterUnderTest } from '../../../../test-support/adapters/broker-under-test.js';
import { createHttpProducer } from '../../src/index.js';

/** The HTTP adapter against the ApsaraMQ HTTP peer, for the scenarios both adapters share. */
export function httpAdapterUnderTest(
  options: MqHttpPeerOptions = { invisibleTimeMs: 3000 },
): AdapterUnderTest {
  return {
    name: 'HTTP',
    packageDir: new URL('../..', import.meta.url),
    async startBroker(brokerOptions = {}) {
      const peer = await startMqHttpPeer({ ...options, ...brokerOptions });
      return {
        adapter: 'HTTP',
        env: {
          IDEM_TEST_ENDPOINT: peer.endpoint,
          IDEM_TEST_ACCESS_KEY_ID: peer.accessKeyId,
          IDEM_TEST_ACCESS_KEY_SECRET: peer.accessKeySecret,
        },
        groupOf: (role) => `GID_${role}`,
        publish(topic, prefix, count) {
          for (let n = 0; n < count; n += 1)
            peer.publish({ topic, body: `${prefix} ${n}`, keys: `${prefix}-${n}` });
        },
        storedKeys: (topic) => peer.messages(topic).map((message) => message.properties.KEYS ?? ''),
        outage(ms) {
          const outage = peer.outage({ ms, mode: 'refuse' });
          return { down: outage.started, up: outage.ended };
        },
        async startProducer(producerOptions = {}) {
          const producer = createHttpProducer({
            endpoint: peer.endpoint,
            accessKeyId: peer.accessKeyId,
            accessKeySecret: peer.accessKeySecret,
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
