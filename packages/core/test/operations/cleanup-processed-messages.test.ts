import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { advisoryLockKey, cleanupProcessedMessages, createProcessor } from '../../src/index.js';
import { OrderHandlers } from '../support/handlers.js';
import { inboundMessage, redeliveryOf } from '../support/messages.js';
import { useTestDatabase } from '../support/test-database.js';
import { backdate, insertProcessedKeys } from './operations-support.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('cleanupProcessedMessages', () => {
  const database = useTestDatabase();

  async function keys(group?: string): Promise<string[]> {
    const { db, schema } = database();
    const rows = await sql<{ idempotency_key: string }>`
      select idempotency_key from ${sql.table(`${schema}.processed_messages`)}
      where ${group === undefined ? sql`true` : sql`consumer_group = ${group}`} order by idempotency_key`.execute(
      db,
    );
    return rows.rows.map((row) => row.idempotency_key);
  }

  it('deletes keys older than the window in batches, keeps the younger ones and reports the lag', async () => {
    const { db, schema } = database();
    await insertProcessedKeys(database(), { count: 25, ageMs: 10 * DAY, prefix: 'old-' });
    await insertProcessedKeys(database(), { count: 3, ageMs: 2 * DAY, prefix: 'young-' });

    const result = await cleanupProcessedMessages(db, { schema, dedupWindowMs: 7 * DAY, batchSize: 10 });

    expect(result).toMatchObject({
      status: 'done',
      deleted: 25,
      batches: 3,
      caughtUp: true,
      deadLettersDeleted: 0,
    });
    expect(await keys()).toEqual(['young-1', 'young-2', 'young-3']);
    if (result.status !== 'done') throw new Error('unreachable');
    // The oldest remaining key was stored two days ago (give the test a minute of slack).
    expect(result.lagMs).toBeGreaterThanOrEqual(2 * DAY);
    expect(result.lagMs).toBeLessThan(2 * DAY + 60_000);
    expect(result.oldestRemainingAt).toBeInstanceOf(Date);
    expect(result.cutoff.getTime()).toBeLessThan(Date.now() - 7 * DAY + 60_000);
  });

  it('stops after maxBatches and says it has not caught up; the next run goes on', async () => {
    const { db, schema } = database();
    await insertProcessedKeys(database(), { count: 30, ageMs: 10 * DAY });

    const first = await cleanupProcessedMessages(db, {
      schema,
      olderThanMs: DAY,
      batchSize: 10,
      maxBatches: 2,
    });
    expect(first).toMatchObject({ status: 'done', deleted: 20, batches: 2, caughtUp: false });
    const second = await cleanupProcessedMessages(db, {
      schema,
      olderThanMs: DAY,
      batchSize: 10,
      maxBatches: 2,
    });
    expect(second).toMatchObject({ status: 'done', deleted: 10, caughtUp: true, lagMs: undefined });
    expect(await database().count('processed_messages')).toBe(0);
  });

  it("deletes only the given consumer group's keys", async () => {
    const { db, schema } = database();
    await insertProcessedKeys(database(), { count: 2, ageMs: 10 * DAY, group: 'billing', prefix: 'b' });
    await insertProcessedKeys(database(), { count: 2, ageMs: 10 * DAY, group: 'shipping', prefix: 's' });

    const result = await cleanupProcessedMessages(db, {
      schema,
      olderThanMs: DAY,
      consumerGroup: 'shipping',
    });

    expect(result).toMatchObject({ deleted: 2 });
    expect(await keys()).toEqual(['b1', 'b2']);
  });

  it('skips at once while another session holds the retention lock of the schema', async () => {
    const { db, schema, url } = database();
    await insertProcessedKeys(database(), { count: 5, ageMs: 10 * DAY });
    const other = new pg.Client(url);
    await other.connect();
    try {
      await other.query('select pg_advisory_lock($1::bigint)', [advisoryLockKey(`idem:retention:${schema}`)]);
      expect(await cleanupProcessedMessages(db, { schema, olderThanMs: DAY })).toEqual({
        status: 'skipped',
        skipped: 'another instance is cleaning',
      });
      expect(await database().count('processed_messages')).toBe(5);
    } finally {
      await other.end();
    }
    // The lock died with its session: the next call cleans.
    expect(await cleanupProcessedMessages(db, { schema, olderThanMs: DAY })).toMatchObject({ deleted: 5 });
  });

  it('lets exactly one of two concurrent calls clean', async () => {
    const { db, schema } = database();
    await insertProcessedKeys(database(), { count: 50, ageMs: 10 * DAY });
    const results = await Promise.all([
      cleanupProcessedMessages(db, { schema, olderThanMs: DAY, batchSize: 1 }),
      cleanupProcessedMessages(db, { schema, olderThanMs: DAY, batchSize: 1 }),
    ]);
    // Either the second found the lock taken (skipped) or it started after the first finished
    // (nothing left to delete); never do both delete.
    const deleted = results.map((result) => (result.status === 'done' ? result.deleted : 0));
    expect(deleted.reduce((a, b) => a + b, 0)).toBe(50);
    expect(deleted).toContain(0);
  });

  it('keeps stopping duplicates inside the window, and a key deleted past it no longer does', async () => {
    const { db, schema } = database();
    const handlers = new OrderHandlers();
    const processor = createProcessor({ db, schema, handlers: [handlers], consumerGroup: 'billing' });
    const old = inboundMessage({ keys: ['order-old'] });
    const recent = inboundMessage({ keys: ['order-recent'] });
    await processor.dispatch(old);
    await backdate(database(), 8 * DAY);
    await processor.dispatch(recent);

    await cleanupProcessedMessages(db, { schema, dedupWindowMs: 7 * DAY });

    expect(await processor.dispatch(redeliveryOf(recent))).toMatchObject({ outcome: 'duplicate' });
    // The trade-off the window check guards: past the window, a late duplicate runs again.
    await sql`delete from ${sql.table(`${schema}.effects`)} where key = 'order-old'`.execute(db);
    expect(await processor.dispatch(redeliveryOf(old))).toMatchObject({ outcome: 'processed' });
  });

  it('deletes dead letters resolved longer ago than their window, never open ones', async () => {
    const { db, schema } = database();
    const handlers = new OrderHandlers();
    const processor = createProcessor({ db, schema, handlers: [handlers], consumerGroup: 'billing' });
    for (const key of ['dl-open', 'dl-resolved-old', 'dl-resolved-new']) {
      await processor.dispatch(inboundMessage({ keys: [key], body: Buffer.from('not json') }));
    }
    const table = sql.table(`${schema}.dead_letters`);
    await sql`update ${table} set first_dead_lettered_at = now() - interval '90 days'`.execute(db);
    await sql`update ${table} set resolved_at = now() - interval '40 days', resolution = 'purged'
      where idempotency_key = 'dl-resolved-old'`.execute(db);
    await sql`update ${table} set resolved_at = now() - interval '1 day', resolution = 'replayed'
      where idempotency_key = 'dl-resolved-new'`.execute(db);

    const result = await cleanupProcessedMessages(db, {
      schema,
      olderThanMs: 7 * DAY,
      resolvedDeadLettersOlderThanMs: 30 * DAY,
    });

    expect(result).toMatchObject({ deadLettersDeleted: 1 });
    const left = await sql<{
      idempotency_key: string;
    }>`select idempotency_key from ${table} order by 1`.execute(db);
    expect(left.rows.map((row) => row.idempotency_key)).toEqual(['dl-open', 'dl-resolved-new']);
  });

  it('rejects options that make no sense with a coded error', async () => {
    const { db, schema } = database();
    await expect(cleanupProcessedMessages(db, { schema })).rejects.toMatchObject({
      code: 'INVALID_CONFIGURATION',
    });
    await expect(
      cleanupProcessedMessages(db, { schema, olderThanMs: DAY, dedupWindowMs: DAY }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIGURATION' });
    await expect(cleanupProcessedMessages(db, { schema, olderThanMs: DAY, batchSize: 0 })).rejects.toThrow(
      /batchSize must be an integer >= 1/,
    );
    await expect(
      cleanupProcessedMessages(db, { schema: 'Bad-Name', olderThanMs: DAY }),
    ).rejects.toMatchObject({
      code: 'INVALID_CONFIGURATION',
    });
  });

  it('reports a schema that was never migrated as SCHEMA_NOT_MIGRATED', async () => {
    const { db } = database();
    await expect(
      cleanupProcessedMessages(db, { schema: 'idem_never_migrated', olderThanMs: DAY }),
    ).rejects.toMatchObject({
      code: 'SCHEMA_NOT_MIGRATED',
    });
  });
});
