/**
 * How to test a Nest service built on Idem: boot the real application module against a real
 * Postgres (a schema of its own) and the RocketMQ peer, with only the configuration replaced;
 * inject duplicates on purpose; assert on the service's own tables; close the application.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { IdemConsumers, type RunningConsumer } from '@idem/nestjs';
import { type RocketMQPeer, startRocketMQPeer } from '@idem/testing';
import { ConfigService } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { AppModule } from '../src/app.module.js';
import { WAREHOUSE_DATABASE, type WarehouseDatabase } from '../src/database/warehouse-database.js';
import { HealthController } from '../src/health/health.controller.js';
import { ShipmentsRepository } from '../src/shipments/shipments.repository.js';

describe('the warehouse Nest application', () => {
  const admin = async (statement: string): Promise<void> => {
    const client = new pg.Client(inject('databaseUrl'));
    await client.connect();
    await client.query(statement).finally(() => client.end());
  };
  let schema: string;
  let peer: RocketMQPeer;
  let app: TestingModule | undefined;

  // Each test gets schemas of its own: the service's tables and, beside them, Idem's.
  beforeEach(async () => {
    schema = `warehouse_${randomBytes(4).toString('hex')}`;
    await admin(`create schema ${schema}`);
    // search_path puts the service's unqualified tables in the test's schema.
    const databaseUrl = new URL(inject('databaseUrl'));
    databaseUrl.searchParams.set('options', `-c search_path=${schema}`);
    peer = await startRocketMQPeer({ minInvisibleDurationMs: 1000 });
    app = await Test.createTestingModule({ imports: [AppModule] })
      .overrideProvider(ConfigService)
      .useValue(
        new ConfigService({
          DATABASE_URL: databaseUrl.toString(),
          ROCKETMQ_ENDPOINTS: peer.endpoints,
          IDEM_SCHEMA: `${schema}_idem`,
          ROCKETMQ_INVISIBLE_DURATION_MS: '2000',
        }),
      )
      .compile();
    app.enableShutdownHooks();
    await app.init();
  });
  afterEach(async () => {
    await app?.close();
    await peer.stop();
    await admin(`drop schema if exists ${schema}, ${schema}_idem cascade`);
  });

  const order = (orderId: string) =>
    JSON.stringify({
      orderId,
      address: '1 Quay Street',
      lines: [
        { sku: 'crate', quantity: 2 },
        { sku: 'pallet', quantity: 1 },
      ],
    });

  it('ships each paid order once and reserves its stock once, however often it is delivered', async () => {
    const context = app as TestingModule;
    peer.duplicateDeliveries(1);
    // The order service re-sent order-1: a new message id, the same key.
    peer.publish({ topic: 'orders', tag: 'paid', keys: ['order-1'], body: order('order-1') });
    peer.publish({ topic: 'orders', tag: 'paid', keys: ['order-1'], body: order('order-1') });
    peer.publish({ topic: 'orders', tag: 'paid', keys: ['order-2'], body: order('order-2') });
    await peer.idle('warehouse', { timeoutMs: 30_000 });

    expect(await context.get(ShipmentsRepository).findAll()).toEqual([
      { orderId: 'order-1', items: 3 },
      { orderId: 'order-2', items: 3 },
    ]);
    const db = context.get<Kysely<WarehouseDatabase>>(WAREHOUSE_DATABASE);
    const stock = await db.selectFrom('stock_reservations').selectAll().orderBy('sku').execute();
    expect(stock).toEqual([
      { sku: 'crate', reserved: 4 },
      { sku: 'pallet', reserved: 2 },
    ]);
    expect(peer.stats().duplicatesInjected).toBeGreaterThan(0);
    const [consumer] = context.get(IdemConsumers).consumers;
    expect(consumer?.health().outcomes).toMatchObject({ processed: 2, failed: 0, 'dead-lettered': 0 });
    expect(consumer?.health().outcomes.duplicate).toBeGreaterThanOrEqual(3);
  });

  it('reports ready through terminus, and stops every consumer when the application closes', async () => {
    const context = app as TestingModule;
    await expect.poll(async () => (await context.get(HealthController).check()).status).toBe('ok');
    const consumers: readonly RunningConsumer[] = context.get(IdemConsumers).consumers;
    expect(consumers).toHaveLength(1);

    await context.close();
    app = undefined;
    expect(consumers.map((consumer) => consumer.health().status)).toEqual(['stopped']);
    expect(context.get(IdemConsumers).consumers).toEqual([]);
  });

  it('dead-letters an order event that fails its schema, and ships nothing for it', async () => {
    const context = app as TestingModule;
    peer.publish({
      topic: 'orders',
      tag: 'paid',
      keys: ['order-3'],
      body: JSON.stringify({ orderId: 'order-3' }),
    });
    await peer.idle('warehouse', { timeoutMs: 30_000 });
    const db = context.get<Kysely<WarehouseDatabase>>(WAREHOUSE_DATABASE);
    const deadLetters = await sql<{ idempotency_key: string; reason: string }>`
      select idempotency_key, reason from ${sql.table(`${schema}_idem.dead_letters`)}`.execute(db);
    expect(deadLetters.rows).toEqual([{ idempotency_key: 'order-3', reason: 'SCHEMA_VALIDATION_FAILED' }]);
    expect(await context.get(ShipmentsRepository).findAll()).toEqual([]);
  });
});
