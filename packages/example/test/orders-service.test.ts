/**
 * How to test a service built on Idem: a real Postgres, the RocketMQ peer from @idem/testing,
 * duplicates injected on purpose, and assertions on the service's own tables.
 */

import { randomBytes } from 'node:crypto';
import { type RocketMQPeer, startRocketMQPeer } from '@idem/testing';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { createOrdersDatabase } from '../src/orders-database.js';
import { startMailerService } from '../src/start-mailer-service.js';
import { type OrdersService, startOrdersService } from '../src/start-orders-service.js';

describe('the orders service', () => {
  let peer: RocketMQPeer;
  let service: OrdersService;
  // A database of its own, as the service would have: Idem's schema and the invoices table.
  const name = `orders_test_${randomBytes(4).toString('hex')}`;
  const admin = async (statement: string): Promise<void> => {
    const client = new pg.Client(inject('databaseUrl'));
    await client.connect();
    await client.query(statement).finally(() => client.end());
  };
  const databaseUrl = (() => {
    const url = new URL(inject('databaseUrl'));
    url.pathname = `/${name}`;
    return url.toString();
  })();
  const db = createOrdersDatabase(databaseUrl);
  beforeAll(() => admin(`create database ${name}`));
  afterAll(async () => {
    await db.destroy();
    await admin(`drop database ${name}`);
  });

  beforeEach(async () => {
    // The service's migration history goes too, or its tables would not be created again.
    await sql`drop table if exists invoices, invoice_emails, kysely_migration, kysely_migration_lock`.execute(
      db,
    );
    await sql`drop schema if exists idem cascade`.execute(db);
    peer = await startRocketMQPeer({ minInvisibleDurationMs: 1000 });
    service = await startOrdersService({ databaseUrl, rocketmqEndpoints: peer.endpoints });
  });
  afterEach(async () => {
    await service.stop();
    await peer.stop();
  });

  it('writes one invoice per order and marks it paid once, however often the events arrive', async () => {
    peer.duplicateDeliveries(1);
    const created = { orderId: 'order-1', customerId: 'customer-7', amountCents: 4200 };
    peer.publish({ topic: 'orders', tag: 'created', keys: ['order-1'], body: JSON.stringify(created) });
    // The producer re-sent the same event: a new message id, the same key.
    peer.publish({ topic: 'orders', tag: 'created', keys: ['order-1'], body: JSON.stringify(created) });
    const paid = { orderId: 'order-1', paidAt: '2026-11-25T08:00:00.000Z' };
    peer.publish({ topic: 'orders', tag: 'paid', keys: ['paid:order-1'], body: JSON.stringify(paid) });
    await peer.idle('billing', { timeoutMs: 30_000 });

    const invoices = await db.selectFrom('invoices').select(['order_id', 'amount_cents', 'status']).execute();
    expect(invoices).toEqual([{ order_id: 'order-1', amount_cents: 4200, status: 'paid' }]);
    expect(service.consumer.health().outcomes.duplicate).toBeGreaterThanOrEqual(3);
  });

  it('announces each invoice once, and the mailer writes one e-mail per invoice, however often the order arrives', async () => {
    const mailer = await startMailerService({ databaseUrl, rocketmqEndpoints: peer.endpoints });
    try {
      peer.duplicateDeliveries(1);
      const created = { orderId: 'order-3', customerId: 'customer-9', amountCents: 1500 };
      peer.publish({ topic: 'orders', tag: 'created', keys: ['order-3'], body: JSON.stringify(created) });
      peer.publish({ topic: 'orders', tag: 'created', keys: ['order-3'], body: JSON.stringify(created) });
      await expect
        .poll(() => db.selectFrom('invoice_emails').select('order_id').execute(), { timeout: 30_000 })
        .toEqual([{ order_id: 'order-3' }]);
      await peer.idle('billing', { timeoutMs: 30_000 });
      await peer.idle('mailer', { timeoutMs: 30_000 });

      // One announcement for three deliveries of the order; the e-mail is keyed by its key.
      const announced = peer.messages('invoices');
      expect(announced.map((message) => JSON.parse(message.body.toString()))).toEqual([created]);
      const emails = await db.selectFrom('invoice_emails').select(['order_id', 'message_key']).execute();
      expect(emails).toEqual([{ order_id: 'order-3', message_key: announced[0]?.keys[0] }]);
      expect(mailer.consumer.health().outcomes.duplicate).toBeGreaterThanOrEqual(1);
    } finally {
      await mailer.stop();
    }
  });

  it('dead-letters an order event that does not match the schema, keeping its body for replay', async () => {
    peer.publish({
      topic: 'orders',
      tag: 'created',
      keys: ['order-2'],
      body: JSON.stringify({ orderId: 'order-2' }),
    });
    await peer.idle('billing', { timeoutMs: 30_000 });
    const deadLetters = await sql<{ reason: string; error_message: string }>`
      select reason, error_message from idem.dead_letters`.execute(db);
    expect(deadLetters.rows).toEqual([
      expect.objectContaining({
        reason: 'SCHEMA_VALIDATION_FAILED',
        error_message: expect.stringMatching(/customerId/),
      }),
    ]);
  });
});
