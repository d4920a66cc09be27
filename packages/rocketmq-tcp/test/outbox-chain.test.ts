import { type RocketMQPeer, startRocketMQPeer } from '@idem/testing';
import { afterEach, it } from 'vitest';
import type { ChainBroker } from '../../../test-support/outbox-chain/chain-broker.js';
import { expectOutboxChainExactlyOnce } from '../../../test-support/outbox-chain/expect-outbox-chain.js';

const RESTART_DOWN_MS = 5000;

let peer: RocketMQPeer | undefined;
afterEach(async () => {
  await peer?.stop();
  peer = undefined;
});

function tcpChainBroker(target: RocketMQPeer): ChainBroker {
  return {
    name: 'the RocketMQ gRPC peer (TCP adapter)',
    serviceEnv: { IDEM_TEST_ENDPOINTS: target.endpoints },
    groupOf: (role) => role,
    publishOrder: (order) => {
      target.publish({ topic: 'orders', keys: [order.orderId], body: JSON.stringify(order) });
    },
    duplicateDeliveries: (rate) => target.duplicateDeliveries(rate),
    faultLabel: `restart, ${RESTART_DOWN_MS / 1000} s down`,
    fault: () => target.restart({ downMs: RESTART_DOWN_MS }),
    faultsCounted: () => target.stats().restarts,
    storedKeys: (topic) => target.messages(topic).map((message) => message.keys[0] ?? ''),
    idle: (group, topic, timeoutMs) => target.idle(group, { topic, timeoutMs }),
  };
}

it('delivers one invoice and one email per order through two TCP services, across duplicates, a broker restart and kill -9 of the sender', async () => {
  peer = await startRocketMQPeer({ minInvisibleDurationMs: 1000 });
  await expectOutboxChainExactlyOnce(tcpChainBroker(peer), new URL('..', import.meta.url));
  // About two minutes on an idle 2-core machine; the timeout leaves room for a loaded one.
}, 480_000);
