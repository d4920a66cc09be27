import { type Kysely, sql } from 'kysely';
import { OUTBOX_CHANNEL } from '#migrations';
import { assertSchemaName, DEFAULT_SCHEMA } from '../schema-name.js';
import type { OutboxStatus } from '../store/idem-tables.js';

/** One outbox row as operators see it (without the body). */
export interface OutboxEntry {
  readonly id: string;
  readonly status: OutboxStatus;
  readonly topic: string;
  readonly tag: string | null;
  readonly keys: readonly string[];
  readonly messageGroup: string | null;
  readonly consumerGroup: string | null;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
}

/** Options of {@link listOutbox}. */
export interface ListOutboxOptions {
  readonly schema?: string;
  /** Only rows in these states. Default pending and failed (what is not out yet). */
  readonly statuses?: readonly OutboxStatus[];
  readonly topic?: string;
  /** At most this many rows, oldest first. Default 100. */
  readonly limit?: number;
}

/** Lists outbox rows, oldest first: what is waiting, what failed for good (and why). */
export async function listOutbox<DB>(
  userDb: Kysely<DB>,
  options: ListOutboxOptions = {},
): Promise<OutboxEntry[]> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  const outbox = outboxTable(options.schema);
  const statuses = [...(options.statuses ?? ['pending', 'failed'])];
  const result = await sql<{
    id: string;
    status: OutboxStatus;
    topic: string;
    tag: string | null;
    keys: string[];
    message_group: string | null;
    consumer_group: string | null;
    attempts: number;
    last_error: string | null;
    created_at: Date;
    sent_at: Date | null;
  }>`
    select id, status, topic, tag, keys, message_group, consumer_group, attempts, last_error, created_at, sent_at
    from ${outbox}
    where status = any(${statuses}::text[])
      and (${options.topic ?? null}::text is null or topic = ${options.topic ?? null})
    order by id
    limit ${options.limit ?? 100}`.execute(db);
  return result.rows.map((row) => ({
    id: String(row.id),
    status: row.status,
    topic: row.topic,
    tag: row.tag,
    keys: row.keys,
    messageGroup: row.message_group,
    consumerGroup: row.consumer_group,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at,
    sentAt: row.sent_at,
  }));
}

/** What {@link retryOutboxRows} and {@link purgeOutboxRows} did. */
export interface OutboxChangeReport {
  readonly changedIds: readonly string[];
  /** Ids given that matched no row in a state the operation applies to. */
  readonly skippedIds: readonly string[];
}

/**
 * Makes rows due again now: failed rows go back to pending (their message group resumes, in
 * order), pending rows waiting out a retry delay are tried at once. Running relays are notified.
 */
export async function retryOutboxRows<DB>(
  userDb: Kysely<DB>,
  selection: { readonly ids: readonly string[] } | { readonly allFailed: true },
  options: { readonly schema?: string } = {},
): Promise<OutboxChangeReport> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const outbox = outboxTable(schema);
  const ids = 'ids' in selection ? selection.ids : null;
  const conn = db as unknown as Kysely<unknown>;
  return await conn.transaction().execute(async (trx) => {
    const result = await sql<{ id: string }>`
      update ${outbox} set status = 'pending', next_attempt_at = now()
      where status <> 'sent'
        and (${ids}::bigint[] is null or id = any(${ids}::bigint[]))
        and (${ids}::bigint[] is not null or status = 'failed')
      returning id`.execute(trx);
    if (result.rows.length > 0) await sql`select pg_notify(${OUTBOX_CHANNEL}, ${schema})`.execute(trx);
    return report(result.rows, ids);
  });
}

/**
 * Deletes rows for good: failed rows (the message is given up; its message group resumes with
 * the next row) or sent rows kept for the retention window. Pending rows are never purged.
 */
export async function purgeOutboxRows<DB>(
  userDb: Kysely<DB>,
  selection: { readonly ids: readonly string[] } | { readonly status: 'failed' | 'sent' },
  options: { readonly schema?: string } = {},
): Promise<OutboxChangeReport> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  const outbox = outboxTable(options.schema);
  const ids = 'ids' in selection ? selection.ids : null;
  const statuses = 'status' in selection ? [selection.status] : ['failed', 'sent'];
  const result = await sql<{ id: string }>`
    delete from ${outbox}
    where status = any(${statuses}::text[]) and (${ids}::bigint[] is null or id = any(${ids}::bigint[]))
    returning id`.execute(db);
  return report(result.rows, ids);
}

function report(rows: readonly { id: string }[], ids: readonly string[] | null): OutboxChangeReport {
  const changedIds = rows.map((row) => String(row.id)).sort((a, b) => Number(a) - Number(b));
  const changed = new Set(changedIds);
  return { changedIds, skippedIds: (ids ?? []).filter((id) => !changed.has(id)) };
}

function outboxTable(schema: string = DEFAULT_SCHEMA) {
  assertSchemaName(schema);
  return sql.table(`${schema}.outbox`);
}
