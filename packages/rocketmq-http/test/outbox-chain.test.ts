import { type MqHttpPeer, startMqHttpPeer } from '@idem/testing';
import { afterEach, it } from 'vitest';
import type { ChainBroker } from '../../../test-support/outbox-chain/chain-broker.js';
import { expectOutboxChainExactlyOnce } from '../../../test-support/outbox-chain/expect-outbox-chain.js';

// ApsaraMQ says HTTP requests may fail for up to a minute during a broker upgrade.
const OUTAGE_MS = 60_000;

let peer: MqHttpPeer | undefined;
afterEach(async () => {
  await peer?.stop();
  peer = undefined;
});

function httpChainBroker(target: MqHttpPeer): ChainBroker {
  return {
    name: 'the ApsaraMQ HTTP peer (HTTP adapter)',
    serviceEnv: {
      IDEM_TEST_ENDPOINT: target.endpoint,
      IDEM_TEST_ACCESS_KEY_ID: target.accessKeyId,
      IDEM_TEST_ACCESS_KEY_SECRET: target.accessKeySecret,
    },
    groupOf: (role) => `GID_${role}`,
    publishOrder: (order) => {
      target.publish({ topic: 'orders', keys: order.orderId, body: JSON.stringify(order) });
    },
    duplicateDeliveries: (rate) => target.duplicateDeliveries(rate),
    // HTML 503s: what a load balancer answers, and what the SDK resolves instead of throwing.
    faultLabel: `${OUTAGE_MS / 1000} s outage answering HTML 503`,
    fault: () => target.outage({ ms: OUTAGE_MS, mode: '503' }).ended,
    faultsCounted: () => target.stats().outages,
    storedKeys: (topic) => target.messages(topic).map((message) => message.properties.KEYS ?? ''),
    idle: (group, topic, timeoutMs) => target.idle(group, topic, { timeoutMs }),
  };
}

it('delivers one invoice and one email per order through two HTTP services, across duplicates, a 60 s outage and kill -9 of the sender', async () => {
  peer = await startMqHttpPeer();
  await expectOutboxChainExactlyOnce(httpChainBroker(peer), new URL('..', import.meta.url));
  // About 2.5 minutes on an idle 2-core machine (a minute of it the outage); room for a loaded one.
}, 540_000);
