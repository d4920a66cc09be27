import { fileURLToPath } from 'node:url';
import { type MqHttpPeer, startMqHttpPeer } from '@idem/testing';
import { afterEach, expect, inject, it } from 'vitest';
import type { ChainBroker } from '../../../test-support/outbox-chain/chain-broker.js';
import { expectExactlyOnceChain, formatChainTable } from '../../../test-support/outbox-chain/chain-report.js';
import { runOutboxChain } from '../../../test-support/outbox-chain/run-outbox-chain.js';

// ApsaraMQ says HTTP requests may fail for up to a minute during a broker upgrade.
const OUTAGE_MS = 60_000;
const KILLS = 3;

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
  const report = await runOutboxChain({
    broker: httpChainBroker(peer),
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
  // About 2.5 minutes on an idle 2-core machine (a minute of it the outage); room for a loaded one.
}, 540_000);
