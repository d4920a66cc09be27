import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { Consumer, Subscribe } from '../src/decorators/handler-metadata.js';
import { createProcessor } from '../src/processor/create-processor.js';
import type { HandlerContext } from '../src/processor/handler-context.js';
import { inboundMessage, redeliveryOf } from './support/messages.js';
import { type TestTables, useTestDatabase } from './support/test-database.js';

@Consumer({ group: 'billing' })
class SlowOrderHandler {
  calls = 0;
  @Subscribe({ topic: 'orders' })
  async handle(_body: unknown, ctx: HandlerContext<TestTables>): Promise<void> {
    this.calls += 1;
    await ctx.trx
      .insertInto('effects')
      .values({ key: ctx.idempotencyKey, handler: 'slow', value: this.calls })
      .execute();
    // Holds the key uncommitted long enough for the other deliveries to queue up behind it.
    await sql`select pg_sleep(0.05)`.execute(ctx.trx);
  }
}

describe('concurrent deliveries', () => {
  const database = useTestDatabase({ poolSize: 10 });

  it('gives one effect and 49 duplicates for 50 concurrent deliveries of one message over 10 connections', async () => {
    const { db, schema } = database();
    const handler = new SlowOrderHandler();
    const processor = createProcessor({ db, schema, handlers: [handler] });
    const message = inboundMessage({ keys: ['order-concurrent'] });

    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) =>
        processor.dispatch({ ...message, deliveryAttempt: index + 1 }),
      ),
    );

    const outcomes = results.map((result) => result.outcome);
    expect(outcomes.filter((outcome) => outcome === 'processed')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'duplicate')).toHaveLength(49);
    expect(handler.calls).toBe(1);
    expect(await database().count('effects')).toBe(1);
  });

  it('processes a waiting duplicate when the delivery holding the key rolls back', async () => {
    const { db, schema } = database();
    let holderPid: number | undefined;
    let entered: () => void = () => {};
    const firstEntered = new Promise<void>((resolve) => {
      entered = resolve;
    });
    @Consumer({ group: 'billing' })
    class FailsOnceWhileWaitedOn {
      calls = 0;
      @Subscribe({ topic: 'orders' })
      async handle(_body: unknown, ctx: HandlerContext<TestTables>): Promise<void> {
        this.calls += 1;
        await ctx.trx
          .insertInto('effects')
          .values({ key: ctx.idempotencyKey, handler: 'slow', value: this.calls })
          .execute();
        if (this.calls > 1) return;
        // The handler runs after the claim: its transaction holds the key, uncommitted.
        const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(ctx.trx);
        holderPid = rows[0]?.pid;
        entered();
        // Hold the key until the second delivery waits on it, then roll back.
        await expect.poll(() => blockedBy(holderPid), { timeout: 10_000, interval: 10 }).toBeGreaterThan(0);
        throw new Error('first delivery fails after writing');
      }
    }
    const blockedBy = async (pid: number | undefined): Promise<number> => {
      const { rows } = await sql<{ n: number }>`
        select count(*)::int as n from pg_stat_activity where ${pid ?? 0}::int = any(pg_blocking_pids(pid))`.execute(
        db,
      );
      return rows[0]?.n ?? 0;
    };
    const handler = new FailsOnceWhileWaitedOn();
    const processor = createProcessor({ db, schema, handlers: [handler] });
    const message = inboundMessage({ keys: ['order-rollback'] });

    const first = processor.dispatch(message);
    await firstEntered;
    const second = processor.dispatch(redeliveryOf(message));

    expect((await first).outcome).toBe('failed');
    expect((await second).outcome).toBe('processed');
    expect(handler.calls).toBe(2);
    expect(await database().effects()).toEqual([{ key: 'order-rollback', handler: 'slow', value: 2 }]);
  });

  it('reports a lock wait beyond lockTimeoutMs as a retryable LOCK_TIMEOUT', async () => {
    const { db, schema, url } = database();
    const processor = createProcessor({ db, schema, handlers: [new SlowOrderHandler()], lockTimeoutMs: 100 });
    const blocker = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query(
        `insert into processed_keys (consumer_group, idempotency_key, message_id, topic, handler, payload_hash, delivery_attempt, transport)
         values ('billing', 'order-locked', 'm', 'orders', 'h', '\\x00', 1, 'test')`,
      );
      const result = await processor.dispatch(inboundMessage({ keys: ['order-locked'] }));
      expect(result).toMatchObject({ outcome: 'failed', retryable: true, error: { code: 'LOCK_TIMEOUT' } });
      await blocker.query('rollback');
    } finally {
      await blocker.end();
    }
  });

  it('leaves nothing half-written and reports retryable when the backend is killed mid-transaction', async () => {
    const { db, schema, url } = database();
    let backendPid = 0;
    let entered: () => void = () => {};
    const inHandler = new Promise<void>((resolve) => {
      entered = resolve;
    });
    @Consumer({ group: 'billing' })
    class KilledMidway {
      calls = 0;
      @Subscribe({ topic: 'orders' })
      async handle(_body: unknown, ctx: HandlerContext<TestTables>): Promise<void> {
        this.calls += 1;
        await ctx.trx
          .insertInto('effects')
          .values({ key: ctx.idempotencyKey, handler: 'killed', value: 1 })
          .execute();
        if (this.calls === 1) {
          const row = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(ctx.trx);
          backendPid = row.rows[0]?.pid ?? 0;
          entered();
          await sql`select pg_sleep(30)`.execute(ctx.trx);
        }
      }
    }
    const processor = createProcessor({ db, schema, handlers: [new KilledMidway()] });
    const message = inboundMessage({ keys: ['order-killed'] });

    const pending = processor.dispatch(message);
    await inHandler;
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    await admin.query('select pg_terminate_backend($1)', [backendPid]);
    await admin.end();
    const result = await pending;

    expect(result).toMatchObject({
      outcome: 'failed',
      retryable: true,
      error: { code: 'DATABASE_UNAVAILABLE' },
    });
    expect(await database().count('processed_keys')).toBe(0);
    expect(await database().count('effects')).toBe(0);
    expect(await processor.dispatch(redeliveryOf(message))).toMatchObject({ outcome: 'processed' });
    expect(await database().count('effects')).toBe(1);
  });
});
