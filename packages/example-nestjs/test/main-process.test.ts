/**
 * The service as it is deployed: `src/main.ts` in a process of its own, its HTTP health endpoint,
 * and SIGTERM (enableShutdownHooks) closing it after the consumer drained.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { createDatabase } from '@idem/core';
import { type RocketMQPeer, startRocketMQPeer } from '@idem/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import type { WarehouseDatabase } from '../src/database/warehouse-database.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));

describe('the warehouse service process', () => {
  const admin = async (statement: string): Promise<void> => {
    const client = new pg.Client(inject('databaseUrl'));
    await client.connect();
    await client.query(statement).finally(() => client.end());
  };
  let schema: string;
  let peer: RocketMQPeer;
  let child: ChildProcess | undefined;

  beforeEach(async () => {
    schema = `warehouse_${randomBytes(4).toString('hex')}`;
    await admin(`create schema ${schema}`);
    peer = await startRocketMQPeer({ minInvisibleDurationMs: 1000 });
  });
  afterEach(async () => {
    if (child?.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await peer.stop();
    await admin(`drop schema if exists ${schema}, ${schema}_idem cascade`);
  });

  it('serves /health, consumes, and drains and exits on SIGTERM', async () => {
    const url = new URL(inject('databaseUrl'));
    url.searchParams.set('options', `-c search_path=${schema}`);
    const port = await freePort();
    const started = spawn(process.execPath, ['--conditions=@idem/source', '--import', 'tsx', 'src/main.ts'], {
      cwd: packageDir,
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: '../../tsconfig.json',
        DATABASE_URL: url.toString(),
        ROCKETMQ_ENDPOINTS: peer.endpoints,
        IDEM_SCHEMA: `${schema}_idem`,
        ROCKETMQ_INVISIBLE_DURATION_MS: '2000',
        PORT: String(port),
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    let output = '';
    started.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    started.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      started.once('exit', (code, signal) => resolve({ code, signal }));
    });

    await expect
      .poll(() => output, { timeout: 45_000, interval: 200 })
      .toMatch(/consumer started|Nest application successfully started/);
    await expect
      .poll(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined))?.status, {
        timeout: 30_000,
        interval: 200,
      })
      .toBe(200);

    const body = JSON.stringify({
      orderId: 'order-7',
      address: 'Dock 4',
      lines: [{ sku: 'crate', quantity: 5 }],
    });
    peer.publish({ topic: 'orders', tag: 'paid', keys: ['order-7'], body });
    await peer.idle('warehouse', { timeoutMs: 30_000 });

    started.kill('SIGTERM');
    // Nest re-raises the signal once the application closed.
    expect(await exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(output).toMatch(/\[Idem\] consumer stopped/);
    const db = createDatabase<WarehouseDatabase>({ connectionString: url.toString(), maxConnections: 1 });
    try {
      expect(await db.selectFrom('shipments').select(['order_id', 'items']).execute()).toEqual([
        { order_id: 'order-7', items: 5 },
      ]);
    } finally {
      await db.destroy();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}
