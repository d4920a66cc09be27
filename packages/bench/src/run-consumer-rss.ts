/**
 * `pnpm --filter @idem/bench rss`: memory of the whole consumer (TCP adapter, runtime, leases,
 * acks, processor) over a long run, against the RocketMQ peer in a process of its own. Publishes
 * `IDEM_RSS_MESSAGES` (default 1,000,000) orders in chunks, waits for each chunk to be acked,
 * and samples the heap after a full GC (`--expose-gc`) and the RSS at every tenth of the run.
 * The consumer keeps nothing per message when the heap at the end is within 5% of the heap at
 * the middle. Not a CI step: a million messages take tens of minutes on a small machine.
 *
 * DATABASE_URL names the database (its `idem` and `bench` tables are truncated; use a database
 * of your own), else an embedded Postgres is started. IDEM_RSS_MODE=single|batch (default
 * batch), IDEM_RSS_PARALLELISM (default 32), IDEM_RSS_CHUNK (default 20,000).
 */
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from '@idem/testing';
import { type BenchBroker, startBenchBroker } from './bench-broker.js';
import { countEffects, createBenchDatabase, prepareBenchDatabase, resetTables } from './bench-database.js';
import type { RowPlan } from './bench-row.js';
import { describeMachine } from './describe-machine.js';
import { createIdemBenchConsumer } from './idem-bench-consumer.js';

interface MemorySample {
  readonly messages: number;
  readonly heapMiB: number;
  readonly rssMiB: number;
}

const positive = (name: string, fallback: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw.replaceAll('_', ''));
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got ${raw}`);
  return value;
};
const total = positive('IDEM_RSS_MESSAGES', 1_000_000);
const chunk = Math.min(total, positive('IDEM_RSS_CHUNK', 20_000));
const mode = process.env.IDEM_RSS_MODE === 'single' ? 'single' : 'batch';
const plan: RowPlan = { mode, parallelism: positive('IDEM_RSS_PARALLELISM', 32), messages: total, warmup: 0 };
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (the package script does)');
const collect = gc;

const say = (line: string): void => {
  process.stderr.write(`[${new Date().toISOString()}] ${line}\n`);
};
const sample = (messages: number): MemorySample => {
  // Twice: the first collection can leave finalizer work for the second.
  collect();
  collect();
  const { heapUsed, rss } = process.memoryUsage();
  return { messages, heapMiB: heapUsed / 1024 ** 2, rssMiB: rss / 1024 ** 2 };
};

const fromEnvironment = process.env.DATABASE_URL;
const postgres: EmbeddedPostgresServer | undefined =
  fromEnvironment === undefined || fromEnvironment === '' ? await startEmbeddedPostgres() : undefined;
const db = createBenchDatabase(postgres?.url ?? fromEnvironment ?? '');
let broker: BenchBroker | undefined;
try {
  broker = await startBenchBroker('peer', 8192);
  await prepareBenchDatabase(db);
  await resetTables(db);
  const machine = await describeMachine(db, postgres === undefined ? 'DATABASE_URL' : 'embedded');
  const topic = 'bench-rss-consumer';
  const group = 'bench-rss-consumer';
  const consumer = createIdemBenchConsumer(db, { endpoint: broker.endpoints, topic, group }, plan);
  await consumer.start();
  const samples: MemorySample[] = [];
  const startedAt = performance.now();
  try {
    // Warm-up chunk (JIT, pools, prepared plans), not counted.
    await runChunk(broker, topic, group, 'warmup', Math.min(chunk, 5000));
    samples.push(sample(0));
    let done = 0;
    const tenth = Math.max(1, Math.floor(total / 10));
    for (let index = 0; done < total; index++) {
      const count = Math.min(chunk, total - done);
      await runChunk(broker, topic, group, `c${index}`, count);
      const before = done;
      done += count;
      if (Math.floor(done / tenth) > Math.floor(before / tenth) || done === total) {
        const taken = sample(done);
        samples.push(taken);
        const seconds = (performance.now() - startedAt) / 1000;
        say(
          `${done} messages, ${(done / seconds).toFixed(0)} msg/s: heap after GC ${taken.heapMiB.toFixed(1)} MiB, RSS ${taken.rssMiB.toFixed(0)} MiB`,
        );
      }
    }
  } finally {
    await consumer.stop();
  }
  const seconds = (performance.now() - startedAt) / 1000;
  const middle = samples.reduce((best, s) =>
    Math.abs(s.messages - total / 2) < Math.abs(best.messages - total / 2) ? s : best,
  );
  const end = samples.at(-1) ?? middle;
  const growth = (end.heapMiB - middle.heapMiB) / middle.heapMiB;
  process.stdout.write(
    [
      `Consumer memory, ${new Date().toISOString()}: ${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, ${machine.postgres} (${machine.database})`,
      `${total} messages through createTcpConsumer (${plan.mode}, ${plan.mode === 'batch' ? `b=${plan.parallelism}` : `c=${plan.parallelism}`}) against the RocketMQ peer in its own process, ${(total / seconds).toFixed(0)} msg/s over ${seconds.toFixed(0)} s`,
      `heap after GC: start ${samples[0]?.heapMiB.toFixed(1)} MiB, middle (${middle.messages}) ${middle.heapMiB.toFixed(1)} MiB, end ${end.heapMiB.toFixed(1)} MiB: ${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}% from middle to end (${Math.abs(growth) <= 0.05 ? 'flat' : 'NOT flat'}, limit 5%)`,
      `RSS: start ${samples[0]?.rssMiB.toFixed(0)} MiB, middle ${middle.rssMiB.toFixed(0)} MiB, end ${end.rssMiB.toFixed(0)} MiB`,
      '',
    ].join('\n'),
  );
  if (Math.abs(growth) > 0.05) process.exitCode = 1;
} catch (error) {
  process.stderr.write(
    `rss run failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
} finally {
  await db.destroy();
  await broker?.stop();
  await postgres?.stop();
}

/** Publishes `count` orders, waits until the group acked them all and every effect is there, then empties the tables. */
async function runChunk(
  broker: BenchBroker,
  topic: string,
  group: string,
  prefix: string,
  count: number,
): Promise<void> {
  await broker.publishOrders(topic, prefix, count);
  await broker.idle?.(group, 600_000);
  const effects = await countEffects(db);
  if (effects !== count) throw new Error(`chunk ${prefix}: ${effects} effects for ${count} messages`);
  // Empty tables keep every chunk's inserts as cheap as the first; the consumer's memory is what is measured.
  await resetTables(db);
}
