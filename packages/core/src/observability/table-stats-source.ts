import type { Kysely } from 'kysely';
import { OutageTracker } from '../consumer/outage-tracker.js';
import type { Logger } from '../logger.js';
import { assertSchemaName, DEFAULT_SCHEMA } from '../schema-name.js';
import { readTableStats, type TableStats } from './read-table-stats.js';

/** Where the table gauges read from. See `IdemMetricsOptions.tables`. */
export interface TableStatsOptions<DB = unknown> {
  readonly db: Kysely<DB>;
  /** The Postgres schema of Idem's tables. Default `idem`. */
  readonly schema?: string;
  /**
   * Your dedup window (how long cleanup keeps processed keys), exported as
   * `idem_dedup_window_seconds` so an alert can tell when cleanup stopped running.
   */
  readonly dedupWindowMs?: number;
  /** The statistics query gives up after this long. Default 2000 ms. */
  readonly timeoutMs?: number;
  /** Scrapes within this long of the last read reuse its numbers. Default 5000 ms. */
  readonly cacheMs?: number;
}

/** The table statistics a registry's scrapes share. Built by {@link tableStatsSource}. */
export interface TableStatsSource {
  readonly schema: string;
  readonly dedupWindowSeconds: number | undefined;
  /** The latest statistics, at most `cacheMs` old; `undefined` when they cannot be read. */
  read(): Promise<TableStats | undefined>;
}

/** Reads Idem's table statistics at most once per `cacheMs`, logging a failing read once per outage. */
export function tableStatsSource<DB>(options: TableStatsOptions<DB>, logger: Logger): TableStatsSource {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertSchemaName(schema);
  const timeoutMs = options.timeoutMs ?? 2000;
  const cacheMs = options.cacheMs ?? 5000;
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = (options.db as unknown as Kysely<unknown>).withoutPlugins();
  // Scrapes are seconds apart: believe each one at once.
  const outage = new OutageTracker(
    logger,
    `Postgres (statistics of Idem's tables in schema ${schema})`,
    {},
    { graceMs: 0, stableMs: 0 },
  );
  let last: { at: number; stats: Promise<TableStats | undefined> } | undefined;
  return {
    schema,
    dedupWindowSeconds: options.dedupWindowMs === undefined ? undefined : options.dedupWindowMs / 1000,
    read() {
      // Concurrent scrapes share one read; a failed read is cached too, so a dead database is
      // asked once per cacheMs, not once per gauge.
      if (last === undefined || Date.now() - last.at >= cacheMs) {
        last = {
          at: Date.now(),
          stats: readTableStats(db, schema, timeoutMs).then(
            (stats) => {
              outage.succeeded();
              return stats;
            },
            (error: unknown) => {
              // Reported by the table_stats_up gauge and logged once per outage.
              outage.failed(error);
              return undefined;
            },
          ),
        };
      }
      return last.stats;
    },
  };
}
