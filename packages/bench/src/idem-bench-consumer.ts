import type { ConsumerEvent } from '@idem/core';
import { createTcpConsumer, type TcpConsumer } from '@idem/rocketmq-tcp';
import type { Kysely } from 'kysely';
import type { BenchDatabase } from './bench-database.js';
import { concurrencyOf, type RowPlan } from './bench-row.js';
import { createEffectHandlers } from './effect-handlers.js';

/** Idem's TCP consumer as the bench runs it: the effect handler on `topic`, sized by the plan. */
export function createIdemBenchConsumer(
  db: Kysely<BenchDatabase>,
  target: { readonly endpoint: string; readonly topic: string; readonly group: string },
  plan: Pick<RowPlan, 'mode' | 'parallelism'>,
  onEvent?: (event: ConsumerEvent) => void,
): TcpConsumer {
  return createTcpConsumer({
    endpoint: target.endpoint,
    consumerGroup: target.group,
    db,
    handlers: [createEffectHandlers(target.topic)],
    mode: plan.mode,
    concurrency: concurrencyOf(plan),
    batchSize: plan.mode === 'batch' ? plan.parallelism : Math.min(plan.parallelism, 16),
    ...(onEvent === undefined ? {} : { onEvent }),
  });
}
