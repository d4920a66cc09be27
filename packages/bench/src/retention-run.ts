import { cleanupProcessedMessages } from '@idem/core';
import { type Kysely, sql } from 'kysely';
import type { BenchBroker } from './bench-broker.js';
import type { BenchDatabase } from './bench-database.js';
import type { ThroughputRow } from './bench-row.js';
import { measureIdemTcp } from './idem-tcp-row.js';

/** Consumers' throughput on a big `processed_keys`, without and with the cleanup running. */
export interface RetentionReport {
  /** Expired processed keys generated before the two rows. */
  readonly expiredRows: number;
  readonly generateSeconds: number;
  readonly withoutCleanup: ThroughputRow;
  readonly withCleanup: ThroughputRow;
  /** Keys the cleanup deleted while the second row ran, and how fast. */
  readonly deletedDuringRow: number;
  readonly deletedPerSecond: number;
  /** withCleanup / withoutCleanup throughput. */
  readonly ratio: number;
}

const CONCURRENCY = 16;
const DAY_MS = 86_400_000;

/**
 * Generates `rows` processed keys 30 days old in one `INSERT ... SELECT generate_series`, then
 * times Idem at concurrency 16 through the peer twice: alone, and while
 * `cleanupProcessedMessages` drops the slice holding the expired keys (1-day window).
 */
export async function measureRetention(
  db: Kysely<BenchDatabase>,
  peer: BenchBroker,
  rows: number,
  messages: number,
  warmup: number,
): Promise<RetentionReport> {
  await sql`truncate idem.processed_keys`.execute(db);
  // Slices ahead first; the keys then go to the current slice, and moving every slice start 30
  // days back makes that slice expired while a later one takes the measured rows' keys.
  await cleanupProcessedMessages(db, { dedupWindowMs: DAY_MS, sliceMs: DAY_MS / 4 });
  const generateStarted = performance.now();
  await sql`
    insert into idem.processed_keys
      (consumer_group, idempotency_key, message_id, topic, tag, handler, payload_hash,
       delivery_attempt, transport, processed_at)
    select 'bench-expired', 'key-' || g, 'msg-' || g, 'bench-expired', 'order', 'EffectHandlers.onOrder',
           '\\x00'::bytea, 1, 'bench', now() - interval '30 days' + g * interval '1 millisecond'
    from generate_series(1, ${rows}::int) as g`.execute(db);
  await sql`update idem.processed_message_slices set starts_at = starts_at - interval '30 days'`.execute(db);
  await sql`analyze idem.processed_keys`.execute(db);
  const generateSeconds = (performance.now() - generateStarted) / 1000;

  const plan = { mode: 'single', parallelism: CONCURRENCY, messages, warmup } as const;
  const withoutCleanup = await measureIdemTcp(db, peer, 'retention-off', plan, { keepProcessedKeys: true });
  let deletedDuringRow = 0;
  let cleanupMs = 0;
  const withCleanup = await measureIdemTcp(db, peer, 'retention-on', plan, {
    keepProcessedKeys: true,
    whileMeasuring: () => {
      const controller = new AbortController();
      const startedAt = performance.now();
      const cleaning = (async () => {
        while (!controller.signal.aborted) {
          const result = await cleanupProcessedMessages(db, { olderThanMs: DAY_MS, sliceMs: DAY_MS / 4 });
          if (result.status === 'done') {
            deletedDuringRow += result.deleted;
            if (result.caughtUp) break;
          }
        }
        cleanupMs = performance.now() - startedAt;
      })();
      return async () => {
        controller.abort();
        await cleaning;
      };
    },
  });
  await sql`truncate idem.processed_keys`.execute(db);
  return {
    expiredRows: rows,
    generateSeconds,
    withoutCleanup,
    withCleanup,
    deletedDuringRow,
    deletedPerSecond: cleanupMs > 0 ? (deletedDuringRow * 1000) / cleanupMs : 0,
    ratio: withCleanup.messagesPerSecond / withoutCleanup.messagesPerSecond,
  };
}
