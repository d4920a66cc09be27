/**
 * `pnpm scale-out`: consumption throughput of 1, 2 and 4 consumer processes of one group on an
 * 8-queue topic of a real RocketMQ broker, and that effects stay one per key. Not a CI step.
 *   pnpm scale-out [--messages 20000] [--processes 1,2,4] [--queues 8]
 */
import { parseArgs } from 'node:util';
import { startEmbeddedPostgres, startRocketMQBroker } from '@idem/testing';
import { runScaleOut, type ScaleOutResult } from './run-scale-out.js';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    messages: { type: 'string', default: '20000' },
    processes: { type: 'string', default: '1,2,4' },
    queues: { type: 'string', default: '8' },
  },
});
const messages = Number(values.messages);
const queues = Number(values.queues);
const counts = values.processes.split(',').map(Number);
if (![messages, queues, ...counts].every((value) => Number.isInteger(value) && value > 0)) {
  throw new Error('--messages, --queues and --processes (comma-separated) take whole numbers above 0');
}
const log = (line: string): void =>
  console.warn(`[scale-out ${new Date().toISOString().slice(11, 19)}] ${line}`);
const postgres = await startEmbeddedPostgres();
const broker = await startRocketMQBroker({ startTimeoutMs: 600_000 });
const results: ScaleOutResult[] = [];
try {
  for (const processes of counts) {
    const result = await runScaleOut(broker, postgres.url, processes, {
      messages,
      queues,
      timeoutMs: 3_600_000,
      log,
    });
    log(`${processes} process(es): ${result.perSecond.toFixed(0)} msg/s`);
    results.push(result);
  }
} finally {
  await broker.stop();
  await postgres.stop();
}
const base = results[0]?.perSecond ?? 1;
process.stdout.write(
  `${[
    `scale-out (real RocketMQ broker, ${queues}-queue topic, embedded Postgres, batch mode, 64 in flight per process):`,
    '  processes  messages  queues filled  drain time  throughput    vs first  effects  doubled',
    ...results.map(
      (result) =>
        `  ${String(result.processes).padStart(9)}  ${String(result.messages).padStart(8)}  ${String(result.queuesFilled).padStart(13)}  ${`${result.seconds.toFixed(1)} s`.padStart(10)}  ${`${result.perSecond.toFixed(0)} msg/s`.padStart(10)}  ${`${(result.perSecond / base).toFixed(2)}x`.padStart(8)}  ${String(result.effects).padStart(7)}  ${String(result.doubledKeys).padStart(7)}`,
    ),
  ].join('\n')}\n`,
);
const broken = results.filter((result) => result.effects !== messages || result.doubledKeys > 0);
if (broken.length > 0) {
  console.error(
    `NOT exactly once for ${broken.map((result) => `${result.processes} process(es)`).join(', ')}`,
  );
  process.exitCode = 1;
}
