import { type Kysely, sql } from 'kysely';
import { DEFAULT_SCHEMA } from '../schema-name.js';
import { type OutboxStats, readOutboxStats } from '../store/read-outbox-stats.js';
import { idemTable } from './idem-table.js';
import { toOperationError } from './operation-error.js';

/** Options of {@link collectIdemStats}. */
export interface IdemStatsOptions {
  /** The Postgres schema of Idem's tables. Default `idem`. */
  readonly schema?: string;
}

/** Processed keys of one consumer group. */
export interface ConsumerGroupKeys {
  readonly consumerGroup: string;
  readonly count: number;
  readonly oldestAt: Date;
  readonly newestAt: Date;
}

/** Open dead letters of one consumer group and reason. */
export interface OpenDeadLetterCount {
  readonly consumerGroup: string;
  readonly reason: string;
  readonly count: number;
}

/** A snapshot of Idem's tables, for `idem stats` and dashboards. */
export interface IdemStats {
  readonly schema: string;
  readonly processedMessages: {
    readonly total: number;
    readonly byConsumerGroup: readonly ConsumerGroupKeys[];
    readonly oldestAt: Date | undefined;
    readonly newestAt: Date | undefined;
    /** Table, indexes and TOAST on disk (`pg_total_relation_size`), in bytes. */
    readonly totalBytes: number;
  };
  readonly deadLetters: {
    readonly open: number;
    readonly resolved: number;
    readonly openByReason: readonly OpenDeadLetterCount[];
    readonly totalBytes: number;
  };
  /** Outbox rows pending, failed and kept sent; the oldest pending row; held message groups. */
  readonly outbox: OutboxStats;
}

/**
 * Counts Idem's rows: processed keys per consumer group with their oldest and newest, open dead
 * letters per reason, the outbox's pending and failed rows, and the tables' size on disk. The counts scan the tables: seconds on tens
 * of millions of rows; it only reads, so it blocks nobody.
 */
export async function collectIdemStats<DB>(
  userDb: Kysely<DB>,
  options: IdemStatsOptions = {},
): Promise<IdemStats> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const conn = db as unknown as Kysely<unknown>;
  const processed = idemTable(schema, 'processed_keys');
  const deadLetters = idemTable(schema, 'dead_letters');
  try {
    const groups = await sql<{ consumer_group: string; count: string; oldest: Date; newest: Date }>`
      select consumer_group, count(*) as count, min(processed_at) as oldest, max(processed_at) as newest
      from (select consumer_group, processed_at from ${processed}
            union all select consumer_group, processed_at from ${idemTable(schema, 'processed_messages')}) k
      group by consumer_group order by consumer_group`.execute(conn);
    const reasons = await sql<{ consumer_group: string; reason: string; count: string }>`
      select consumer_group, reason, count(*) as count from ${deadLetters}
      where resolved_at is null group by consumer_group, reason order by consumer_group, count(*) desc, reason`.execute(
      conn,
    );
    const totals = await sql<{ resolved: string; processed_bytes: string; dead_letter_bytes: string }>`
      select (select count(*) from ${deadLetters} where resolved_at is not null) as resolved,
             (select coalesce(sum(pg_total_relation_size(relid)), 0)
              from pg_partition_tree(${`${schema}.processed_keys`}::regclass))
               + pg_total_relation_size(${`${schema}.processed_messages`}::regclass) as processed_bytes,
             pg_total_relation_size(${`${schema}.dead_letters`}::regclass) as dead_letter_bytes`.execute(
      conn,
    );
    const byConsumerGroup = groups.rows.map((row) => ({
      consumerGroup: row.consumer_group,
      count: Number(row.count),
      oldestAt: row.oldest,
      newestAt: row.newest,
    }));
    const openByReason = reasons.rows.map((row) => ({
      consumerGroup: row.consumer_group,
      reason: row.reason,
      count: Number(row.count),
    }));
    const outbox = await readOutboxStats(conn, schema);
    const total = totals.rows[0];
    return {
      schema,
      processedMessages: {
        total: byConsumerGroup.reduce((sum, group) => sum + group.count, 0),
        byConsumerGroup,
        oldestAt: earliest(byConsumerGroup.map((group) => group.oldestAt)),
        newestAt: latest(byConsumerGroup.map((group) => group.newestAt)),
        totalBytes: Number(total?.processed_bytes ?? 0),
      },
      deadLetters: {
        open: openByReason.reduce((sum, entry) => sum + entry.count, 0),
        resolved: Number(total?.resolved ?? 0),
        openByReason,
        totalBytes: Number(total?.dead_letter_bytes ?? 0),
      },
      outbox,
    };
  } catch (error) {
    throw toOperationError(error, schema, `read the statistics of schema ${schema}`);
  }
}

function earliest(dates: readonly Date[]): Date | undefined {
  return dates.reduce<Date | undefined>(
    (min, date) => (min === undefined || date < min ? date : min),
    undefined,
  );
}

function latest(dates: readonly Date[]): Date | undefined {
  return dates.reduce<Date | undefined>(
    (max, date) => (max === undefined || date > max ? date : max),
    undefined,
  );
}
