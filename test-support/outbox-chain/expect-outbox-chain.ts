import { fileURLToPath } from 'node:url';
import { expect, inject } from 'vitest';
import type { ChainBroker } from './chain-broker.js';
import { expectExactlyOnceChain, formatChainTable } from './chain-report.js';
import { runOutboxChain } from './run-outbox-chain.js';

const KILLS = 3;

/**
 * Runs the outbox chain as both adapters' suites do (IDEM_CHAIN_ORDERS orders, 2000 by default,
 * 10 % duplicate deliveries, three kill -9 of the sender, one broker fault) through the
 * adapter's test/fixtures/chain-service.ts, prints the table and asserts exactly-once.
 */
export async function expectOutboxChainExactlyOnce(broker: ChainBroker, packageDir: URL): Promise<void> {
  const report = await runOutboxChain({
    broker,
    databaseUrl: inject('databaseUrl'),
    fixture: fileURLToPath(new URL('test/fixtures/chain-service.ts', packageDir)),
    cwd: fileURLToPath(packageDir),
    orders: Number(process.env.IDEM_CHAIN_ORDERS ?? 2000),
    duplicateRate: 0.1,
    kills: KILLS,
    log: (line) => console.warn(line),
    settleTimeoutMs: 240_000,
  });
  console.warn(formatChainTable(report));
  expectExactlyOnceChain(report, { kills: KILLS });
  expect(report.faults).toBe(1);
}
