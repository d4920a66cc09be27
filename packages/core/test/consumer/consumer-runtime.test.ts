import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect } from 'vitest';
import { type ConsumerRuntimeOptions, createConsumerRuntime } from '../../src/consumer/consumer-runtime.js';
import { createDatabase } from '../../src/create-database.js';
import { Consumer, Subscribe } from '../../src/decorators/handler-metadata.js';
import type { LogFields, Logger } from '../../src/logger.js';
import type { InboundMessage } from '../../src/message.js';
import { createProcessor } from '../../src/processor/create-processor.js';
import type { HandlerContext } from '../../src/processor/handler-context.js';
import { QueueSource } from '../observability/support/queue-source.js';
import { inboundMessage } from '../support/messages.js';
import { databaseTest, type TestDatabase, type TestTables } from '../support/test-database.js';

/**
 * Orders whose handlers wait inside their transaction until the test lets them finish: what
 * the runtime sees of a slow handler. Records the order handlers started in and how many ran at
 * once.
 */
@Consumer({ group: 'billing' })
class HeldOrders {
  readonly started: string[] = [];
  running = 0;
  mostRunning = 0;
  /** The most handlers that ran at once for messages of one FIFO group. */
  mostRunningInOneGroup = 0;
  readonly #runningByGroup = new Map<string, number>();
  /** Keys whose handler throws once released. */
  readonly failing = new Set<string>();
  #held = true;
  #waiters: (() => void)[] = [];

  /** Lets every handler waiting now, and every later one, finish. */
  release(): void {
    this.#held = false;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Lets only the handlers waiting now finish. */
  releaseWaiting(count = Number.POSITIVE_INFINITY): void {
    for (const wake of this.#waiters.splice(0, count)) wake();
  }

  @Subscribe({ topic: 'orders' })
  async onOrder(_body: unknown, ctx: HandlerContext<TestTables>): Promise<void> {
    const key = ctx.message.keys[0] ?? ctx.message.messageId;
    this.started.push(key);
    const group = ctx.message.messageGroup;
    this.running += 1;
    this.mostRunning = Math.max(this.mostRunning, this.running);
    if (group !== undefined) {
      const inGroup = (this.#runningByGroup.get(group) ?? 0) + 1;
      this.#runningByGroup.set(group, inGroup);
      this.mostRunningInOneGroup = Math.max(this.mostRunningInOneGroup, inGroup);
    }
    try {
      await ctx.trx.insertInto('effects').values({ key, handler: 'held', value: 1 }).execute();
      if (this.#held) await new Promise<void>((resolve) => this.#waiters.push(resolve));
      if (this.failing.has(key)) throw new Error(`handler fails for ${key}`);
    } finally {
      this.running -= 1;
      if (group !== undefined) this.#runningByGroup.set(group, (this.#runningByGroup.get(group) ?? 1) - 1);
    }
  }
}

/** A logger that keeps what the runtime logged at error level. */
class ErrorLog implements Logger {
  readonly errors: { readonly fields: LogFields; readonly message: string }[] = [];
  debug(): void {}
  info(): void {}
  warn(): void {}
  error(fields: LogFields, message: string): void {
    this.errors.push({ fields, message });
  }
}

function order(key: string, messageGroup?: string): InboundMessage {
  return inboundMessage({ keys: [key], messageGroup });
}

type Defer = (cleanup: () => Promise<unknown>) => void;

/**
 * `defer(cleanup)` runs `cleanup` after the test, last registered first, and before the test's
 * database is dropped (this fixture depends on it, so vitest tears it down first).
 */
const test = databaseTest.extend<{ defer: Defer }>({
  defer: async ({ database }, use) => {
    const cleanups: (() => Promise<unknown>)[] = [];
    await use((cleanup) => cleanups.push(cleanup));
    for (const cleanup of cleanups.reverse()) await cleanup();
    void database;
  },
});

type RuntimeOptions = Omit<ConsumerRuntimeOptions<string>, 'source' | 'processor'>;

/** A runtime over `source` and `handlers` on the test's schema, stopped when the test ends. */
async function startRuntime(
  defer: Defer,
  database: Pick<TestDatabase, 'db' | 'schema'>,
  source: QueueSource,
  handlers: HeldOrders,
  options: RuntimeOptions = {},
) {
  const processor = createProcessor({ db: database.db, schema: database.schema, handlers: [handlers] });
  const runtime = createConsumerRuntime({ source, processor, ...options });
  // Handlers still held would keep stop() waiting for its whole shutdown timeout.
  defer(async () => {
    handlers.release();
    await runtime.stop();
  });
  await runtime.start();
  return runtime;
}

describe('the consumer runtime on an in-memory source', () => {
  describe('slot accounting', () => {
    test('never runs more handlers than concurrency, and asks the source only for the slots free', async ({
      database,
      defer,
    }) => {
      const source = new QueueSource();
      const handlers = new HeldOrders();
      source.push(...Array.from({ length: 10 }, (_, n) => order(`order-${n}`)));
      const runtime = await startRuntime(defer, database, source, handlers, { concurrency: 4 });

      await expect.poll(() => handlers.running).toBe(4);
      expect(runtime.health().inFlight).toBe(4);
      // Every slot is taken: the runtime waits for one before it receives again.
      expect(source.receives).toEqual([4]);
      expect(source.queued).toBe(6);

      handlers.releaseWaiting(1);
      await expect.poll(() => source.receives.length).toBe(2);
      expect(source.receives[1]).toBe(1);

      handlers.release();
      await expect.poll(() => source.acked.length).toBe(10);
      expect(handlers.mostRunning).toBe(4);
      expect(Math.max(...source.receives)).toBeLessThanOrEqual(4);
      expect(runtime.health()).toMatchObject({ inFlight: 0, outcomes: { processed: 10, failed: 0 } });
      expect(await database.count('processed_keys')).toBe(10);
    });

    test('in batch mode, holds a slot for every message of a batch until the whole batch settles', async ({
      database,
      defer,
    }) => {
      const source = new QueueSource();
      const handlers = new HeldOrders();
      source.push(...Array.from({ length: 12 }, (_, n) => order(`order-${n}`)));
      const runtime = await startRuntime(defer, database, source, handlers, {
        mode: 'batch',
        concurrency: 8,
        batchSize: 8,
      });

      // One transaction runs the batch's handlers one after another: one runs, 8 slots are held.
      await expect.poll(() => handlers.running).toBe(1);
      expect(runtime.health().inFlight).toBe(8);
      expect(source.receives).toEqual([8]);

      handlers.release();
      await expect.poll(() => source.acked.length).toBe(12);
      // The second receive came once the whole first batch was settled: all 8 slots free.
      expect(source.receives.slice(0, 2)).toEqual([8, 8]);
      expect(runtime.health().outcomes.processed).toBe(12);
    });
  });

  describe('FIFO message groups', () => {
    test('runs the messages of one group one at a time in the order received, other groups beside them', async ({
      database,
      defer,
    }) => {
      const source = new QueueSource();
      const handlers = new HeldOrders();
      source.push(
        order('a-1', 'customer-a'),
        order('b-1', 'customer-b'),
        order('a-2', 'customer-a'),
        order('a-3', 'customer-a'),
        order('b-2', 'customer-b'),
      );
      await startRuntime(defer, database, source, handlers, { concurrency: 8 });

      // One handler per group at a time: a-1 and b-1 run, their successors wait behind them.
      await expect.poll(() => [...handlers.started].sort()).toEqual(['a-1', 'b-1']);
      expect(handlers.running).toBe(2);
      handlers.release();
      await expect.poll(() => source.acked.length).toBe(5);
      expect(handlers.started.filter((key) => key.startsWith('a-'))).toEqual(['a-1', 'a-2', 'a-3']);
      expect(handlers.started.filter((key) => key.startsWith('b-'))).toEqual(['b-1', 'b-2']);
      expect(handlers.mostRunningInOneGroup).toBe(1);
      expect(handlers.mostRunning).toBe(2);
    });

    test("leaves a group's later messages unacked and unhandled once one of them fails, and goes on with other groups", async ({
      database,
      defer,
    }) => {
      const source = new QueueSource();
      const handlers = new HeldOrders();
      handlers.failing.add('a-1');
      handlers.release();
      const messages = [order('a-1', 'customer-a'), order('a-2', 'customer-a'), order('b-1', 'customer-b')];
      source.push(...messages);
      const runtime = await startRuntime(defer, database, source, handlers, { concurrency: 8 });

      await expect.poll(() => runtime.health().outcomes).toMatchObject({ processed: 1, failed: 1 });
      expect(runtime.health().inFlight).toBe(0);
      expect(handlers.started).not.toContain('a-2');
      expect(source.acked).toEqual([messages[2]?.messageId]);
      // The failed message asks for its redelivery; a-2 simply comes back after it.
      expect(source.retries.map((retry) => retry.receipt)).toEqual([messages[0]?.messageId]);
      expect(await database.effects()).toEqual([{ key: 'b-1', handler: 'held', value: 1 }]);
    });
  });

  describe('the database gate', () => {
    test('holds what it received while Postgres refuses connections, then processes it once, without burning an attempt', async ({
      database,
      defer,
    }) => {
      // A role of its own, so the outage (no connections allowed) reaches only this consumer.
      const role = `gate_${randomBytes(4).toString('hex')}`;
      const password = randomBytes(12).toString('hex');
      await sql`create role ${sql.id(role)} login password ${sql.lit(password)}`.execute(database.db);
      defer(async () => {
        await sql`select pg_terminate_backend(pid) from pg_stat_activity where usename = ${role}`.execute(
          database.db,
        );
        await sql`drop owned by ${sql.id(role)}`.execute(database.db);
        await sql`drop role ${sql.id(role)}`.execute(database.db);
      });
      await sql`grant usage on schema ${sql.id(database.schema)} to ${sql.id(role)}`.execute(database.db);
      await sql`grant all on all tables in schema ${sql.id(database.schema)} to ${sql.id(role)}`.execute(
        database.db,
      );
      await sql`grant all on all sequences in schema ${sql.id(database.schema)} to ${sql.id(role)}`.execute(
        database.db,
      );
      const url = new URL(database.url);
      url.username = role;
      url.password = password;
      url.searchParams.set('options', `-c search_path=${database.schema}`);
      const roleDb = createDatabase<TestTables>({
        connectionString: url.toString(),
        maxConnections: 4,
        connectionTimeoutMs: 2000,
      });
      defer(() => roleDb.destroy());

      const source = new QueueSource();
      const handlers = new HeldOrders();
      handlers.release();
      const runtime = await startRuntime(defer, { db: roleDb, schema: database.schema }, source, handlers);
      source.push(order('before'));
      await expect.poll(() => runtime.health().outcomes.processed).toBe(1);

      // The outage: the role's connections are cut and no new one is let in (SQLSTATE 53300).
      await sql`alter role ${sql.id(role)} connection limit 0`.execute(database.db);
      await sql`select pg_terminate_backend(pid) from pg_stat_activity where usename = ${role}`.execute(
        database.db,
      );
      const during = order('during');
      source.push(during);
      await expect.poll(() => runtime.health().database.reachable, { timeout: 10_000 }).toBe(false);
      expect(runtime.health()).toMatchObject({ ready: false, inFlight: 1, outcomes: { failed: 0 } });
      expect(source.acked).toHaveLength(1);

      await sql`alter role ${sql.id(role)} connection limit -1`.execute(database.db);
      await expect.poll(() => runtime.health().outcomes.processed, { timeout: 10_000 }).toBe(2);
      expect(runtime.health()).toMatchObject({
        ready: true,
        database: { reachable: true },
        outcomes: { processed: 2, failed: 0, 'dead-lettered': 0 },
      });
      expect(source.acked).toContain(during.messageId);
      expect(source.retries).toEqual([]);
      expect(await database.effects()).toEqual([
        { key: 'before', handler: 'held', value: 1 },
        { key: 'during', handler: 'held', value: 1 },
      ]);
      const attempts = await sql<{ delivery_attempt: number }>`
        select delivery_attempt from processed_keys where message_id = ${during.messageId}`.execute(
        database.db,
      );
      expect(attempts.rows).toEqual([{ delivery_attempt: 1 }]);
    });
  });

  describe('lease extension', () => {
    test('extends the lease of a handler slower than a third of it, and acks with the newest receipt', async ({
      database,
      defer,
    }) => {
      const source = new QueueSource({ leaseMs: 300 });
      const handlers = new HeldOrders();
      const message = order('slow');
      source.push(message);
      const runtime = await startRuntime(defer, database, source, handlers);

      await expect.poll(() => source.extensions.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
      expect(source.extensions[0]).toEqual({ receipt: message.messageId, ms: 300 });
      expect(source.extensions[1]).toEqual({ receipt: `${message.messageId}+`, ms: 300 });
      handlers.release();
      await expect.poll(() => source.acked).toHaveLength(1);
      const extensions = source.extensions.length;
      expect(source.acked[0]).toBe(`${message.messageId}${'+'.repeat(extensions)}`);
      expect(runtime.health().outcomes.processed).toBe(1);
    });

    test('never extends a delivery when the source has no lease', async ({ database, defer }) => {
      const source = new QueueSource();
      const handlers = new HeldOrders();
      source.push(order('slow'));
      const runtime = await startRuntime(defer, database, source, handlers);
      await expect.poll(() => handlers.running).toBe(1);
      handlers.release();
      await expect.poll(() => runtime.health().outcomes.processed).toBe(1);
      expect(source.extensions).toEqual([]);
    });
  });

  describe('shutdown', () => {
    test('stops receiving, lets the handler in flight finish, acks it, then closes the source', async ({
      database,
      defer,
    }) => {
      const source = new QueueSource();
      const handlers = new HeldOrders();
      const message = order('in-flight');
      source.push(message);
      const runtime = await startRuntime(defer, database, source, handlers);
      await expect.poll(() => handlers.running).toBe(1);

      const stopped = runtime.stop();
      expect(runtime.health().status).toBe('stopping');
      source.push(order('too-late'));
      expect(source.closed).toBe(false);
      handlers.release();
      await stopped;

      expect(runtime.health()).toMatchObject({ status: 'stopped', inFlight: 0, outcomes: { processed: 1 } });
      expect(source.acked).toEqual([message.messageId]);
      expect(source.queued).toBe(1);
      expect(source.closed).toBe(true);
    });

    test('gives up on a handler that outlives the shutdown timeout, says so, and leaves it unacked', async ({
      database,
      defer,
    }) => {
      const source = new QueueSource();
      const handlers = new HeldOrders();
      const logger = new ErrorLog();
      source.push(order('stuck'));
      const runtime = await startRuntime(defer, database, source, handlers, {
        shutdownTimeoutMs: 100,
        logger,
      });
      await expect.poll(() => handlers.running).toBe(1);

      await runtime.stop();
      expect(runtime.health().status).toBe('stopped');
      expect(source.closed).toBe(true);
      expect(source.acked).toEqual([]);
      expect(logger.errors).toEqual([
        expect.objectContaining({
          fields: expect.objectContaining({ code: 'SHUTDOWN_TIMEOUT', inFlight: 1 }),
        }),
      ]);
      handlers.release();
      // The handler's transaction still commits: the redelivery will be skipped as a duplicate.
      await expect.poll(() => database.count('processed_keys')).toBe(1);
    });

    test('refuses a second start, and a stop before start leaves nothing to close', async ({
      database,
      defer,
    }) => {
      const source = new QueueSource();
      const processor = createProcessor({
        db: database.db,
        schema: database.schema,
        handlers: [new HeldOrders()],
      });
      const unstarted = createConsumerRuntime({ source, processor });
      await unstarted.stop();
      expect(unstarted.health().status).toBe('stopped');
      expect(source.closed).toBe(false);
      await expect(unstarted.start()).rejects.toMatchObject({ code: 'INVALID_CONFIGURATION' });

      const runtime = await startRuntime(defer, database, source, new HeldOrders());
      await expect(runtime.start()).rejects.toMatchObject({ code: 'INVALID_CONFIGURATION' });
    });
  });
});
