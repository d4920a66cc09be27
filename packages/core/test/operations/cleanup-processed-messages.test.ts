import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { advisoryLockKey } from '../../src/operations/advisory-lock.js';
import { cleanupProcessedMessages } from '../../src/operations/cleanup-processed-messages.js';
import { createProcessor } from '../../src/processor/create-processor.js';
import type { DispatchResult } from '../../src/processor/dispatch-result.js';
import { OrderHandlers } from '../support/handlers.js';
import { inboundMessage, redeliveryOf } from '../support/messages.js';
import { useTestDatabase } from '../support/test-database.js';
import { backdate, insertLegacyKeys, insertProcessedKeys } from './operations-support.js';

const DAY = 86_400_000;

describe('cleanupProcessedMessages', () => {
  const database = useTestDatabase();

  async function keys(group?: string): Promise<string[]> {
    const { db, schema } = database();
    const rows = await sql<{ idempotency_key: string }>`
      select idempotency_key from ${sql.table(`${schema}.processed_keys`)}
      where ${group === undefined ? sql`true` : sql`consumer_group = ${group}`} order by idempotency_key`.execute(
      db,
    );
    return rows.rows.map((row) => row.idempotency_key);
  }

  async function slices(): Promise<number[]> {
    const { db, schema } = database();
    const rows = await sql<{ slice: number }>`
      select slice from ${sql.table(`${schema}.processed_message_slices`)} order by slice`.execute(db);
    return rows.rows.map((row) => row.slice);
  }

  it('creates slices ahead, drops the slices older than the window whole, keeps the younger keys', async () => {
    const { db, schema } = database();
    // Window 4 days, slices of 1 day (a quarter of the window).
    expect(await cleanupProcessedMessages(db, { schema, dedupWindowMs: 4 * DAY })).toMatchObject({
      status: 'done',
      slicesCreated: 2,
      slicesDropped: 0,
      caughtUp: true,
    });
    await insertProcessedKeys(database(), { count: 25, ageMs: 0, prefix: 'old-' });
    await backdate(database(), 6 * DAY);
    await insertProcessedKeys(database(), { count: 3, ageMs: 0, prefix: 'young-' });

    const result = await cleanupProcessedMessages(db, { schema, dedupWindowMs: 4 * DAY });

    // Slice 0 (the old keys) ended 5 days ago, slice 1 4 days ago: both dropped; slice 2 holds
    // the young keys and is kept.
    expect(result).toMatchObject({ status: 'done', slicesDropped: 2, deferred: 0, caughtUp: true });
    expect(await keys()).toEqual(['young-1', 'young-2', 'young-3']);
    expect(await slices()).toEqual([2, 3, 4, 5]);
    // Detached, then dropped by the run's next call: no table of an expired slice is left.
    const tables = await sql<{ relname: string }>`
      select relname from pg_class where relnamespace = ${schema}::regnamespace and relkind = 'r'
        and relname like 'processed_keys%' order by relname`.execute(db);
    expect(tables.rows.map((row) => row.relname)).toEqual([
      'processed_keys_2',
      'processed_keys_3',
      'processed_keys_4',
      'processed_keys_5',
    ]);
    if (result.status !== 'done') throw new Error('unreachable');
    // The oldest slice left started 4 days ago (give the test a minute of slack).
    expect(result.lagMs).toBeGreaterThanOrEqual(4 * DAY - 60_000);
    expect(result.lagMs).toBeLessThan(4 * DAY + 60_000);
    expect(result.cutoff.getTime()).toBeLessThan(Date.now() - 4 * DAY + 60_000);
  });

  it('keeps consuming into the last slice when retention stopped running, and catches up later', async () => {
    const { db, schema } = database();
    await cleanupProcessedMessages(db, { schema, dedupWindowMs: 4 * DAY });
    await backdate(database(), 30 * DAY);
    const handlers = new OrderHandlers();
    const processor = createProcessor({ db, schema, handlers: [handlers], consumerGroup: 'billing' });
    // No slice was created for a month: the newest started slice takes the key.
    expect(await processor.dispatch(inboundMessage({ keys: ['late'] }))).toMatchObject({
      outcome: 'processed',
    });

    const result = await cleanupProcessedMessages(db, { schema, dedupWindowMs: 4 * DAY });

    // Slices 0 and 1 ended a month ago; slice 2 took the key and is still the last started one
    // until the new slice 3 (starting now) takes over.
    expect(result).toMatchObject({ slicesDropped: 2, slicesCreated: 3 });
    expect(await keys()).toEqual(['late']);
    expect(await processor.dispatch(redeliveryOf(inboundMessage({ keys: ['late'] })))).toMatchObject({
      outcome: 'duplicate',
    });
  });

  it('gives a drop up within its lock timeout while a long claim holds the slices, lets claims through, drops it next run', async () => {
    const { db, schema, url } = database();
    await cleanupProcessedMessages(db, { schema, dedupWindowMs: 4 * DAY });
    await insertProcessedKeys(database(), { count: 10, ageMs: 0, prefix: 'expired-' });
    await backdate(database(), 6 * DAY);
    // Claims wait at most 1 s for a lock. Had the drop's ACCESS EXCLUSIVE request queued them for
    // longer than that, they would come back failed with LOCK_TIMEOUT.
    const processor = createProcessor({
      db,
      schema,
      handlers: [new OrderHandlers()],
      consumerGroup: 'billing',
      lockTimeoutMs: 1000,
    });
    const long = new pg.Client(url);
    await long.connect();
    try {
      // A claim whose transaction stays open (a slow handler): it holds the slices it read.
      await long.query('begin');
      await long.query(
        `select * from ${schema}.claim_processed_messages('billing', array['long'], array[null]::bytea[],
           array['M-long'], array['orders'], array[''], array['OrderHandlers.onOrderCreated'],
           array['\\x00'::bytea], array[1], array['test'])`,
      );
      let rotating = true;
      const during: DispatchResult[] = [];
      const consuming = (async () => {
        while (rotating)
          during.push(await processor.dispatch(inboundMessage({ keys: [`during-${during.length}`] })));
      })();
      const result = await cleanupProcessedMessages(db, {
        schema,
        dedupWindowMs: 4 * DAY,
        lockTimeoutMs: 50,
      });
      rotating = false;
      await consuming;

      expect(result).toMatchObject({ slicesDropped: 0, deferred: 1, caughtUp: false });
      expect(await slices()).toContain(0);
      expect(during.length).toBeGreaterThan(0);
      expect(during.filter((dispatched) => dispatched.outcome !== 'processed')).toEqual([]);
      await long.query('commit');
    } finally {
      await long.end();
    }
    expect(await cleanupProcessedMessages(db, { schema, dedupWindowMs: 4 * DAY })).toMatchObject({
      slicesDropped: 2,
      deferred: 0,
    });
    expect((await keys()).filter((key) => key.startsWith('expired-'))).toEqual([]);
  });

  it('claims into the newest older slice when the current slice has no partition to route to', async () => {
    const { db, schema } = database();
    await cleanupProcessedMessages(db, { schema, dedupWindowMs: 4 * DAY });
    await backdate(database(), 2 * DAY);
    // Slices 0-2 have started; slice 3 is listed as started but has no partition, as a slice
    // missing from a session's partition routing looks to its claims.
    await sql`insert into ${sql.table(`${schema}.processed_message_slices`)} (slice, starts_at)
      values (3, now() - interval '1 second')`.execute(db);
    const processor = createProcessor({
      db,
      schema,
      handlers: [new OrderHandlers()],
      consumerGroup: 'billing',
    });
    const first = inboundMessage({ keys: ['routed-back'] });
    expect((await processor.dispatch(first)).outcome).toBe('processed');
    expect((await processor.dispatch(redeliveryOf(first))).outcome).toBe('duplicate');
    const stored = await sql<{ slice: number }>`
      select slice from ${sql.table(`${schema}.processed_keys`)} where idempotency_key = 'routed-back'`.execute(
      db,
    );
    expect(stored.rows).toEqual([{ slice: 2 }]);
  });

  it('empties the pre-upgrade table in one statement once its newest key is older than the window', async () => {
    const { db, schema } = database();
    await insertLegacyKeys(database(), { keys: ['legacy-old'], ageMs: 5 * DAY });
    await insertLegacyKeys(database(), { keys: ['legacy-young'], ageMs: 3 * DAY });
    expect(await cleanupProcessedMessages(db, { schema, dedupWindowMs: 4 * DAY })).toMatchObject({
      legacyTruncated: false,
    });
    await backdate(database(), 2 * DAY);
    expect(await cleanupProcessedMessages(db, { schema, dedupWindowMs: 4 * DAY })).toMatchObject({
      legacyTruncated: true,
    });
    expect(await database().count('processed_messages' as 'processed_keys')).toBe(0);
  });

  it('skips at once while another session holds the retention lock of the schema', async () => {
    const { db, schema, url } = database();
    const other = new pg.Client(url);
    await other.connect();
    try {
      await other.query('select pg_advisory_lock($1::bigint)', [advisoryLockKey(`idem:retention:${schema}`)]);
      expect(await cleanupProcessedMessages(db, { schema, olderThanMs: DAY })).toEqual({
        status: 'skipped',
        skipped: 'another instance is cleaning',
      });
      expect(await slices()).toEqual([0]);
    } finally {
      await other.end();
    }
    // The lock died with its session: the next call rotates.
    expect(await cleanupProcessedMessages(db, { schema, olderThanMs: DAY })).toMatchObject({
      slicesCreated: 2,
    });
  });

  it('lets exactly one of two concurrent calls rotate', async () => {
    const { db, schema } = database();
    const results = await Promise.all([
      cleanupProcessedMessages(db, { schema, olderThanMs: DAY }),
      cleanupProcessedMessages(db, { schema, olderThanMs: DAY }),
    ]);
    // Either the second found the lock taken (skipped) or it started after the first finished
    // (nothing left to create); never do both create slices.
    const created = results.map((result) => (result.status === 'done' ? result.slicesCreated : 0));
    expect(created.sort()).toEqual([0, 2]);
    expect(await slices()).toEqual([0, 1, 2]);
  });

  it('keeps stopping duplicates of keys in older slices inside the window, and not past it', async () => {
    const { db, schema } = database();
    const handlers = new OrderHandlers();
    const processor = createProcessor({ db, schema, handlers: [handlers], consumerGroup: 'billing' });
    const old = inboundMessage({ keys: ['order-old'] });
    const recent = inboundMessage({ keys: ['order-recent'] });
    await cleanupProcessedMessages(db, { schema, dedupWindowMs: 4 * DAY });
    await processor.dispatch(old);
    await backdate(database(), 3 * DAY);
    await processor.dispatch(recent);
    await cleanupProcessedMessages(db, { schema, dedupWindowMs: 4 * DAY });

    // Both keys are in slices other than the current one, inside the window.
    expect(await processor.dispatch(redeliveryOf(old))).toMatchObject({ outcome: 'duplicate' });
    expect(await processor.dispatch(redeliveryOf(recent))).toMatchObject({ outcome: 'duplicate' });

    await backdate(database(), 3 * DAY);
    await cleanupProcessedMessages(db, { schema, dedupWindowMs: 4 * DAY });
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
    await expect(
      cleanupProcessedMessages(db, { schema, olderThanMs: DAY, dedupWindowMs: DAY }),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIGURATION' });
    await expect(cleanupProcessedMessages(db, { schema, olderThanMs: DAY, batchSize: 0 })).rejects.toThrow(
      /batchSize must be an integer >= 1/,
    );
    await expect(cleanupProcessedMessages(db, { schema, sliceMs: 0 })).rejects.toThrow(
      /sliceMs must be a positive/,
    );
    await expect(
      cleanupProcessedMessages(db, { schema, consumerGroup: 'billing' } as Parameters<
        typeof cleanupProcessedMessages
      >[1]),
    ).rejects.toThrow(/consumerGroup is no longer supported/);
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
