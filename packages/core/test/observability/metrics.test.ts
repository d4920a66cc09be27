import { sql } from 'kysely';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type ConsumerRuntime, createConsumerRuntime } from '../../src/consumer/consumer-runtime.js';
import { createDatabase } from '../../src/create-database.js';
import { createProcessor } from '../../src/create-processor.js';
import { createIdemMetrics } from '../../src/observability/create-idem-metrics.js';
import { createOutboxRelay } from '../../src/outbox/create-outbox-relay.js';
import { sendInTransaction } from '../../src/outbox/send-in-transaction.js';
import { OrderHandlers } from '../support/handlers.js';
import { inboundMessage, redeliveryOf } from '../support/messages.js';
import { RecordingProducer } from '../support/recording-producer.js';
import { useTestDatabase } from '../support/test-database.js';
import { hasSample, sampleValue } from './support/prometheus-text.js';
import { QueueSource } from './support/queue-source.js';

const WEEK_MS = 7 * 24 * 3600 * 1000;

describe('createIdemMetrics', () => {
  const database = useTestDatabase();
  const running: ConsumerRuntime[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((runtime) => runtime.stop()));
  });

  function setup(tables: { cacheMs?: number } = {}) {
    const { db, schema } = database();
    const registry = new Registry();
    const metrics = createIdemMetrics({
      registry,
      tables: { db, schema, dedupWindowMs: WEEK_MS, ...tables },
    });
    const hooks = metrics.hooks('billing');
    const handlers = new OrderHandlers();
    const processor = createProcessor({
      db,
      schema,
      handlers: [handlers],
      consumerGroup: 'billing',
      onResult: hooks.onResult,
    });
    return { registry, metrics, hooks, handlers, processor, schema };
  }

  it('counts outcomes, duplicates by kind, redeliveries, failures and dead letters by reason', async () => {
    const { registry, handlers, processor } = setup();
    const first = inboundMessage({ keys: ['order-1'] });
    await processor.dispatch(first);
    await processor.dispatch(redeliveryOf(first));
    await processor.dispatch(inboundMessage({ keys: ['order-1'] }));
    handlers.failNext = 1;
    await processor.dispatch(inboundMessage({ keys: ['order-2'], json: { orderId: 'o-2', amount: 1 } }));
    handlers.rejectNext = true;
    await processor.dispatch(inboundMessage({ keys: ['order-3'], json: { orderId: 'o-3', amount: 1 } }));
    await processor.dispatch(inboundMessage({ keys: ['order-4'], body: Buffer.from('{not json') }));

    const text = await registry.metrics();
    const of = { consumer_group: 'billing', topic: 'orders' };
    expect(sampleValue(text, 'idem_messages_total', { ...of, outcome: 'processed' })).toBe(1);
    expect(sampleValue(text, 'idem_messages_total', { ...of, outcome: 'duplicate' })).toBe(2);
    expect(sampleValue(text, 'idem_messages_total', { ...of, outcome: 'failed' })).toBe(1);
    expect(sampleValue(text, 'idem_messages_total', { ...of, outcome: 'dead-lettered' })).toBe(2);
    expect(sampleValue(text, 'idem_duplicates_total', { ...of, kind: 'redelivery' })).toBe(1);
    expect(sampleValue(text, 'idem_duplicates_total', { ...of, kind: 'producer_resend' })).toBe(1);
    expect(sampleValue(text, 'idem_redeliveries_total', of)).toBe(1);
    expect(sampleValue(text, 'idem_failures_total', { ...of, reason: 'HANDLER_FAILED' })).toBe(1);
    expect(sampleValue(text, 'idem_dead_letters_total', { ...of, reason: 'HANDLER_REJECTED' })).toBe(1);
    expect(sampleValue(text, 'idem_dead_letters_total', { ...of, reason: 'BODY_DECODE_FAILED' })).toBe(1);
    expect(sampleValue(text, 'idem_dispatch_duration_seconds_count', { ...of, outcome: 'duplicate' })).toBe(
      2,
    );
    expect(sampleValue(text, 'idem_delivery_delay_seconds_count', of)).toBe(6);
    // Bounded labels: no message id or key ever becomes a label value.
    expect(text).not.toMatch(/order-\d|"[0-9A-F]{32}"/);
  });

  it("reads the tables' row count, oldest key age, open dead letters and the dedup window at scrape", async () => {
    const { registry, handlers, processor, schema } = setup();
    await processor.dispatch(inboundMessage({ keys: ['order-1'] }));
    await processor.dispatch(inboundMessage({ keys: ['order-2'], json: { orderId: 'o-2', amount: 2 } }));
    handlers.rejectNext = true;
    await processor.dispatch(inboundMessage({ keys: ['order-3'], json: { orderId: 'o-3', amount: 3 } }));

    const text = await registry.metrics();
    expect(sampleValue(text, 'idem_table_stats_up', { schema })).toBe(1);
    expect(sampleValue(text, 'idem_processed_messages_rows', { schema })).toBe(2);
    const oldest = sampleValue(text, 'idem_processed_messages_oldest_age_seconds', { schema });
    expect(oldest).toBeGreaterThanOrEqual(0);
    expect(oldest).toBeLessThan(3600);
    expect(sampleValue(text, 'idem_dead_letters_unresolved', { schema, consumer_group: 'billing' })).toBe(1);
    expect(sampleValue(text, 'idem_dedup_window_seconds', { schema })).toBe(WEEK_MS / 1000);
  });

  it("reads the outbox's pending and failed rows, the oldest pending age and the held groups at scrape", async () => {
    const { registry, schema } = setup({ cacheMs: 0 });
    const { db } = database();
    await db.transaction().execute(async (trx) => {
      await sendInTransaction(trx, { topic: 'orders', keys: ['a'], body: '1' }, { schema });
      await sendInTransaction(trx, { topic: 'orders', keys: ['b'], body: '2' }, { schema });
      await sendInTransaction(
        trx,
        { topic: 'refused', keys: ['c'], body: '3', messageGroup: 'g1' },
        { schema },
      );
    });
    const outbox = sql.table(`${schema}.outbox`);
    await sql`update ${outbox} set status = 'failed' where topic = 'refused'`.execute(db);
    await sql`update ${outbox} set created_at = now() - interval '1 hour' where keys = array['a']`.execute(
      db,
    );

    const text = await registry.metrics();
    expect(sampleValue(text, 'idem_outbox_pending_rows', { schema })).toBe(2);
    expect(sampleValue(text, 'idem_outbox_failed_rows', { schema })).toBe(1);
    expect(sampleValue(text, 'idem_outbox_held_groups', { schema })).toBe(1);
    const oldest = sampleValue(text, 'idem_outbox_oldest_pending_age_seconds', { schema });
    expect(oldest).toBeGreaterThanOrEqual(3600);
    expect(oldest).toBeLessThan(7200);

    await sql`delete from ${outbox}`.execute(db);
    const empty = await registry.metrics();
    expect(sampleValue(empty, 'idem_outbox_pending_rows', { schema })).toBe(0);
    expect(sampleValue(empty, 'idem_outbox_oldest_pending_age_seconds', { schema })).toBe(0);
  });

  it("counts a relay's sent rows, its failures by kind and the lag from write to confirmation", async () => {
    const { registry, metrics, schema } = setup();
    const { db } = database();
    const producer = new RecordingProducer();
    producer.rejectedTopics.add('refused');
    await db.transaction().execute(async (trx) => {
      for (const [topic, key] of [
        ['orders', 'a'],
        ['orders', 'b'],
        ['refused', 'c'],
      ] as const) {
        await sendInTransaction(trx, { topic, keys: [key], body: key }, { schema });
      }
    });
    const relay = createOutboxRelay({
      db,
      schema,
      producer,
      metrics: metrics.outboxRelay(schema),
      pollIntervalMs: 50,
    });
    await relay.start();
    try {
      await expect.poll(() => relay.health()).toMatchObject({ sent: 2, failures: 1 });
    } finally {
      await relay.stop();
    }

    const text = await registry.metrics();
    expect(sampleValue(text, 'idem_outbox_sent_total', { schema })).toBe(2);
    expect(sampleValue(text, 'idem_outbox_send_failures_total', { schema, kind: 'failed' })).toBe(1);
    expect(sampleValue(text, 'idem_outbox_relay_lag_seconds_count', { schema })).toBe(2);
    const lag = sampleValue(text, 'idem_outbox_relay_lag_seconds_sum', { schema });
    expect(lag).toBeGreaterThan(0);
    expect(lag).toBeLessThan(600);
  });

  it('serves table statistics from its cache between scrapes, and reads again once it expired', async () => {
    const cached = setup({ cacheMs: 3_600_000 });
    await cached.processor.dispatch(inboundMessage({ keys: ['order-1'] }));
    const rows = async () =>
      sampleValue(await cached.registry.metrics(), 'idem_processed_messages_rows', { schema: cached.schema });
    expect(await rows()).toBe(1);
    await cached.processor.dispatch(inboundMessage({ keys: ['order-2'] }));
    expect(await rows()).toBe(1);

    const { db, schema } = database();
    const fresh = new Registry();
    createIdemMetrics({ registry: fresh, tables: { db, schema, cacheMs: 0 } });
    expect(sampleValue(await fresh.metrics(), 'idem_processed_messages_rows', { schema })).toBe(2);
  });

  it("reports a running consumer's health, received messages and ack failures", async () => {
    const { registry, metrics, hooks, processor } = setup();
    const source = new QueueSource();
    const consumer = createConsumerRuntime({ source, processor, onEvent: hooks.onEvent });
    running.push(consumer);
    metrics.watchConsumer('billing', consumer);
    await consumer.start();
    source.push(inboundMessage({ keys: ['order-1'] }), inboundMessage({ keys: ['order-2'] }));
    await vi.waitFor(() => expect(source.acked).toHaveLength(2), { timeout: 10_000 });

    const group = { consumer_group: 'billing' };
    let text = await registry.metrics();
    expect(sampleValue(text, 'idem_received_messages_total', group)).toBe(2);
    expect(sampleValue(text, 'idem_broker_connected', group)).toBe(1);
    expect(sampleValue(text, 'idem_database_reachable', group)).toBe(1);
    expect(sampleValue(text, 'idem_consumer_ready', group)).toBe(1);
    expect(sampleValue(text, 'idem_seconds_since_last_message', group)).toBeLessThan(3600);
    expect(hasSample(text, 'idem_in_flight_messages')).toBe(true);

    source.failAcks = true;
    source.push(inboundMessage({ keys: ['order-3'] }));
    await vi.waitFor(() => expect(consumer.health().ackFailures).toBe(1), { timeout: 10_000 });
    source.unreachable = true;
    await vi.waitFor(() => expect(consumer.health().broker.reachable).toBe(false), { timeout: 10_000 });

    text = await registry.metrics();
    expect(sampleValue(text, 'idem_ack_failures_total', group)).toBe(1);
    expect(sampleValue(text, 'idem_broker_connected', group)).toBe(0);
    expect(sampleValue(text, 'idem_consumer_ready', group)).toBe(0);
    expect(sampleValue(text, 'idem_messages_total', { ...group, outcome: 'processed' })).toBe(3);
  });

  it('stops reporting a consumer once unwatched, and records a backlog given to it', async () => {
    const { registry, metrics, processor } = setup();
    const consumer = createConsumerRuntime({ source: new QueueSource(), processor });
    const unwatch = metrics.watchConsumer('billing', consumer);
    expect(() => metrics.watchConsumer('billing', consumer)).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIGURATION' }),
    );
    expect(sampleValue(await registry.metrics(), 'idem_consumer_ready', { consumer_group: 'billing' })).toBe(
      0,
    );
    unwatch();
    expect(hasSample(await registry.metrics(), 'idem_consumer_ready')).toBe(false);

    metrics.recordBacklog('billing', 1200);
    expect(
      sampleValue(await registry.metrics(), 'idem_consumer_backlog_messages', { consumer_group: 'billing' }),
    ).toBe(1200);
  });

  it('reports table statistics as down, without failing the scrape, when Postgres cannot be reached', async () => {
    const unreachable = createDatabase({
      connectionString: 'postgres://idem:secret@127.0.0.1:1/idem',
      connectionTimeoutMs: 500,
    });
    try {
      const registry = new Registry();
      createIdemMetrics({ registry, tables: { db: unreachable, timeoutMs: 1000 } });
      const text = await registry.metrics();
      expect(sampleValue(text, 'idem_table_stats_up', { schema: 'idem' })).toBe(0);
      expect(hasSample(text, 'idem_processed_messages_rows')).toBe(false);
    } finally {
      await unreachable.destroy();
    }
  });

  it('refuses to register twice in one registry, with a coded error', () => {
    const registry = new Registry();
    createIdemMetrics({ registry });
    expect(() => createIdemMetrics({ registry })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIGURATION' }),
    );
    expect(() => createIdemMetrics({ registry, prefix: 'billing_idem_' })).not.toThrow();
  });
});
