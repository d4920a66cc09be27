import { type Kysely, sql } from 'kysely';

/** The outbox's state as dashboards, `idem stats` and `idem doctor` report it. */
export interface OutboxStats {
  /** Rows not yet confirmed by the broker (due now or waiting for a retry). */
  readonly pending: number;
  /** Rows that failed for good and wait for an operator (`idem outbox retry` or `purge`). */
  readonly failed: number;
  /** Sent rows kept for `keepSentForMs`. */
  readonly sent: number;
  /** When the oldest pending row was written; `undefined` when none is pending. */
  readonly oldestPendingAt: Date | undefined;
  /** Seconds since then, by the database's clock. */
  readonly oldestPendingAgeSeconds: number | undefined;
  /** Message groups held behind a failed row (their later rows wait, in order). */
  readonly heldGroups: number;
}

/**
 * Reads the outbox's counts and its oldest pending row. Each count stops at `countLimit` rows,
 * so a scrape during a long broker outage (millions of pending rows) stays cheap; the oldest
 * pending row comes off the partial index of pending rows (ids grow with time).
 */
export async function readOutboxStats(
  db: Kysely<unknown>,
  schema: string,
  countLimit = Number.MAX_SAFE_INTEGER,
): Promise<OutboxStats> {
  const outbox = sql.table(`${schema}.outbox`);
  const count = (status: string) =>
    sql`(select count(*)::float8 from (select 1 from ${outbox} where status = ${status} limit ${countLimit}) s)`;
  const result = await sql<{
    pending: number;
    failed: number;
    sent: number;
    oldest_at: Date | null;
    oldest_age: number | null;
    held_groups: number;
  }>`
    select ${count('pending')} as pending, ${count('failed')} as failed, ${count('sent')} as sent,
           oldest.created_at as oldest_at,
           extract(epoch from clock_timestamp() - oldest.created_at)::float8 as oldest_age,
           (select count(distinct message_group)::float8 from ${outbox}
            where status = 'failed' and message_group is not null) as held_groups
    from (select 1) one
    left join lateral (
      select created_at from ${outbox} where status = 'pending' order by id limit 1) oldest on true`.execute(
    db,
  );
  const row = result.rows[0];
  return {
    pending: row?.pending ?? 0,
    failed: row?.failed ?? 0,
    sent: row?.sent ?? 0,
    oldestPendingAt: row?.oldest_at ?? undefined,
    oldestPendingAgeSeconds:
      row?.oldest_age === null || row === undefined ? undefined : Math.max(0, row.oldest_age),
    heldGroups: row?.held_groups ?? 0,
  };
}
