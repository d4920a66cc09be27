import { fileURLToPath } from 'node:url';
import { type RocketMQPeer, startRocketMQPeer } from '@idem/testing';
import { afterEach, expect, inject, it } from 'vitest';
import type { ChainBroker } from '../../../test-support/outbox-chain/chain-broker.js';
import { expectExactlyOnceChain, formatChainTable } from '../../../test-support/outbox-chain/chain-report.js';
import { runOutboxChain } from '../../../test-support/outbox-chain/run-outbox-chain.js';

const RESTART_DOWN_MS = 5000;
const KILLS = 3;

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
  const report = await runOutboxChain({
    broker: tcpChainBroker(peer),
    databaseUrl: inject('databaseUrl'),
    fixture: fileURLToPath(new URL('./fixtures/chain-service.ts', import.meta.url)),
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    orders: Number(process.env.IDEM_CHAIN_ORDERS ?? 2000),
    duplicateRate: 0.1,
    kills: KILLS,
    log: (line) => console.warn(line),
    settleTimeoutMs: 240_000,
  });
  console.warn(formatChainTable(report));
  expectExactlyOnceChain(report, { kills: KILLS });
  expect(report.faults).toBe(1);
  // About two minutes on an idle 2-core machine; the timeout leaves room for a loaded one.
}, 480_000);
