/**
 * `pnpm --filter @idem/bench slices`: retention on time slices, without a broker. Measures, on
 * the database named by DATABASE_URL (schema `bench_slices`, dropped first):
 * - dispatch latency (claim to commit, trivial handler, 16 in flight) with 100,000 stored keys
 *   and with IDEM_SLICE_KEYS stored keys (default 2,000,000), half of them expired;
 * - throughput at 16 in flight without retention, and while retention drops the expired half;
 * - the size of processed_keys after several rotations, against window x rate.
 */
import { randomUUID } from 'node:crypto';
import {
  Consumer,
  cleanupProcessedMessages,
  createProcessor,
  type HandlerContext,
  type InboundMessage,
  migrateToLatest,
  Subscribe,
} from '@idem/core';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { LatencyRecorder } from './latency.js';

const SCHEMA = 'bench_slices';
const DAY = 86_400_000;
const WINDOW = 4 * DAY;
const CONCURRENCY = 16;
const MESSAGES = Number(process.env.IDEM_SLICE_MESSAGES ?? 4000);
const KEYS = Number(process.env.IDEM_SLICE_KEYS ?? 2_000_000);

interface Effects {
  'bench_slices.effects': { id: string };
}

@Consumer({ group: 'bench' })
class Handler {
  @Subscribe({ topic: 'orders' })
  async handle(_body: unknown, ctx: HandlerContext<Effects>): Promise<void> {
    await ctx.trx.insertInto('bench_slices.effects').values({ id: ctx.idempotencyKey }).execute();
  }
}

const db = new Kysely<unknown>({
  dialect: new PostgresDialect({
    pool: new pg.Pool({ connectionString: process.env.DATABASE_URL, max: CONCURRENCY + 4 }),
  }),
});
const slices = sql.table(`${SCHEMA}.processed_message_slices`);
const processor = createProcessor({ db, schema: SCHEMA, handlers: [new Handler()] });

function message(key: string): InboundMessage {
  return {
    topic: 'orders',
    tag: '',
    keys: [key],
    messageId: randomUUID(),
    body: Buffer.from(JSON.stringify({ key })),
    properties: {},
    deliveryAttempt: 1,
    bornAt: new Date(),
    messageGroup: undefined,
    transport: 'bench',
  };
}

async function reset(): Promise<void> {
  await sql`drop schema if exists ${sql.id(SCHEMA)} cascade`.execute(db);
  await migrateToLatest(db, { schema: SCHEMA });
  await sql`create table ${sql.table(`${SCHEMA}.effects`)} (id text primary key)`.execute(db);
  await cleanupProcessedMessages(db, { schema: SCHEMA, dedupWindowMs: WINDOW });
}

/** Inserts `count` keys into the current slice in one statement. */
async function fill(count: number, prefix: string): Promise<void> {
  await sql`
    insert into ${sql.table(`${SCHEMA}.processed_keys`)}
      (consumer_group, idempotency_key, message_id, topic, tag, handler, payload_hash, delivery_attempt, transport)
    select 'bench', ${prefix} || g, 'm' || g, 'orders', '', 'Handler.handle', '\\x00'::bytea, 1, 'bench'
    from generate_series(1, ${count}::int) g`.execute(db);
}

/** Moves every slice start `ms` into the past: that much time passed for retention. */
async function passTime(ms: number): Promise<void> {
  await sql`update ${slices} set starts_at = starts_at - make_interval(secs => ${ms / 1000}::float8)`.execute(
    db,
  );
}

async function measure(label: string): Promise<{ perSecond: number; p50: number; p99: number }> {
  const latency = new LatencyRecorder();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < MESSAGES) {
        next += 1;
        const result = await processor.dispatch(message(`${label}-${next}`));
        if (result.outcome !== 'processed') throw new Error(`${label}: ${result.outcome}`);
        latency.record(result.durationMs);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: MESSAGES / seconds, p50: latency.percentile(50), p99: latency.percentile(99) };
}

async function sizeBytes(): Promise<number> {
  const result = await sql<{ bytes: string }>`
    select (select coalesce(sum(pg_total_relation_size(relid)), 0)
            from pg_partition_tree(${`${SCHEMA}.processed_keys`}::regclass)) as bytes`.execute(db);
  return Number(result.rows[0]?.bytes ?? 0);
}

const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const value = await work();
  return [value, (performance.now() - started) / 1000];
};

// 1. Latency with 100,000 stored keys.
await reset();
await fill(100_000, 'stored-');
await sql`analyze ${sql.table(`${SCHEMA}.processed_keys`)}`.execute(db);
await measure('warmup-small');
const small = await measure('small');

// 2. KEYS stored keys, half expired (slice 0, ended 5 days ago), half live (the current slice).
await reset();
const [, fillSeconds] = await timed(async () => {
  await fill(KEYS / 2, 'expired-');
  await passTime(6 * DAY);
  await fill(KEYS / 2, 'live-');
  await sql`analyze ${sql.table(`${SCHEMA}.processed_keys`)}`.execute(db);
});
await measure('warmup-big');
const big = await measure('big');
// The same row again without retention: the machine's noise between two identical rows.
const control = await measure('control');
let rotation: Awaited<ReturnType<typeof cleanupProcessedMessages>> | undefined;
let rotationSeconds = 0;
const [withRetention] = await Promise.all([
  measure('retention'),
  (async () => {
    [rotation, rotationSeconds] = await timed(() =>
      cleanupProcessedMessages(db, { schema: SCHEMA, dedupWindowMs: WINDOW }),
    );
  })(),
]);

// 3. Size after several rotations at a steady rate: PER_DAY keys a day, 1-day slices, 4-day window.
await reset();
const perDay = Math.max(10_000, Math.round(KEYS / 10));
for (let day = 0; day < 8; day += 1) {
  await fill(perDay, `day${day}-`);
  await passTime(DAY);
  await cleanupProcessedMessages(db, { schema: SCHEMA, dedupWindowMs: WINDOW });
}
const afterRotations = await sizeBytes();
const retainedKeys = await sql<{ n: string }>`
  select count(*) as n from ${sql.table(`${SCHEMA}.processed_keys`)}`.execute(db);
await sql`truncate ${sql.table(`${SCHEMA}.processed_keys`)}`.execute(db);
await fill(perDay * 4, 'window-');
const windowTimesRate = await sizeBytes();

process.stdout.write(
  `${JSON.stringify(
    {
      keys: KEYS,
      messagesPerRow: MESSAGES,
      fillSeconds: Math.round(fillSeconds),
      latency100k: { p50Ms: small.p50, p99Ms: small.p99, perSecond: Math.round(small.perSecond) },
      latencyBig: { p50Ms: big.p50, p99Ms: big.p99, perSecond: Math.round(big.perSecond) },
      latencyRatio: { p50: big.p50 / small.p50, p99: big.p99 / small.p99 },
      withoutRetention: Math.round(big.perSecond),
      control: Math.round(control.perSecond),
      controlRatio: control.perSecond / big.perSecond,
      withRetention: Math.round(withRetention.perSecond),
      throughputRatio: withRetention.perSecond / ((big.perSecond + control.perSecond) / 2),
      rotation: rotation?.status === 'done' ? { ...rotation, seconds: rotationSeconds } : rotation,
      size: {
        perDay,
        retainedKeys: Number(retainedKeys.rows[0]?.n ?? 0),
        afterEightRotationsBytes: afterRotations,
        windowTimesRateBytes: windowTimesRate,
        ratio: afterRotations / windowTimesRate,
      },
    },
    null,
    2,
  )}\n`,
);
await sql`drop schema ${sql.id(SCHEMA)} cascade`.execute(db);
await db.destroy();
