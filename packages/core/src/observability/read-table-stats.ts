import { type Kysely, sql } from 'kysely';
import { readOldestProcessedKey } from '../operations/read-oldest-processed-key.js';
import { type OutboxStats, readOutboxStats } from '../store/read-outbox-stats.js';

// Below this many rows (by the planner's estimate) the rows are counted exactly; above it the
// estimate is close enough and counting would scan the table at every scrape.
const EXACT_COUNT_LIMIT = 100_000;

/** What {@link readTableStats} found in Idem's tables. */
export interface TableStats {
  /** Rows of `processed_keys`: exact up to 100,000, else the planner's estimate. */
  readonly processedRows: number;
  /** Age of the oldest processed key; `undefined` when the table is empty. */
  readonly oldestProcessedAgeSeconds: number | undefined;
  /** Dead letters not yet replayed or purged, by consumer group. */
  readonly unresolvedDeadLetters: ReadonlyMap<string, number>;
  /** The outbox: pending and failed rows (exact up to 100,000), oldest pending age, held groups. */
  readonly outbox: OutboxStats;
}

/**
 * Reads the sizes a dashboard needs from Idem's tables with cheap statements only (the
 * planner's row estimate, `min(processed_at)` off its index, the partial index of unresolved
 * dead letters, the outbox's partial index of pending rows), each bounded by `statement_timeout`; the whole read is abandoned after
 * `timeoutMs` even while it still waits for a pooled connection.
 */
export async function readTableStats(
  db: Kysely<unknown>,
  schema: string,
  timeoutMs: number,
): Promise<TableStats> {
  const processed = sql.table(`${schema}.processed_keys`);
  const deadLetters = sql.table(`${schema}.dead_letters`);
  const read = db.transaction().execute(async (trx) => {
    await sql`select set_config('statement_timeout', ${String(timeoutMs)}, true)`.execute(trx);
    // The slices' estimates and the legacy table's; reltuples is -1 until a table was first
    // vacuumed or analyzed, and a partitioned parent holds no rows itself.
    const estimate = await sql<{ estimate: number | null }>`
      select sum(greatest(c.reltuples, 0))::float8 as estimate
      from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and c.relkind = 'r'
        and (c.relname = 'processed_messages' or c.relname ~ '^processed_keys_[0-9]+$')`.execute(trx);
    let processedRows = estimate.rows[0]?.estimate ?? -1;
    if (processedRows < EXACT_COUNT_LIMIT) {
      const counted = await sql<{ n: number }>`
        select count(*)::float8 as n from (select 1 from ${processed} limit ${EXACT_COUNT_LIMIT + 1}) s`.execute(
        trx,
      );
      const exact = counted.rows[0]?.n ?? 0;
      processedRows = exact > EXACT_COUNT_LIMIT ? Math.max(exact, processedRows) : exact;
    }
    // Bounded by the oldest slice's start: a min() over the keys would read every slice.
    const oldest = await readOldestProcessedKey(trx, schema);
    const open = await sql<{ consumer_group: string; n: number }>`
      select consumer_group, count(*)::float8 as n from ${deadLetters}
      where resolved_at is null group by consumer_group`.execute(trx);
    const outbox = await readOutboxStats(trx, schema, EXACT_COUNT_LIMIT);
    return {
      processedRows,
      outbox,
      oldestProcessedAgeSeconds: oldest === undefined ? undefined : oldest.ageMs / 1000,
      unresolvedDeadLetters: new Map(open.rows.map((row) => [row.consumer_group, row.n])),
    };
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`reading table statistics took longer than ${timeoutMs} ms`)),
      timeoutMs,
    );
    timer.unref();
  });
  // An abandoned read still settles later (statement_timeout bounds it); nobody awaits it then.
  read.catch(() => {});
  try {
    return await Promise.race([read, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
