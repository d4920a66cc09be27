import { type Kysely, sql, type Transaction } from 'kysely';
import type { ProducerMessage } from '../outbox/outbound-message.js';

/** A pending outbox row claimed by a relay, ready for a producer. */
export interface ClaimedOutboxRow {
  readonly message: ProducerMessage;
  readonly attempts: number;
  /** Seconds since the row was written (its transaction's start), by the database's clock. */
  readonly ageSeconds: number;
}

interface ClaimedRecord {
  id: string;
  topic: string;
  tag: string | null;
  keys: string[];
  body: Buffer;
  properties: Record<string, string>;
  message_group: string | null;
  deliver_at: Date | null;
  attempts: number;
  age_seconds: number;
}

/**
 * Locks up to `limit` pending rows that are due, in id order, skipping rows other relays hold.
 * A row of a message group is claimed only when every earlier row of its group is sent: the
 * group's head. A group whose head failed for good, or is waiting to be retried, is held, not
 * skipped; so is a group whose head another relay is sending (its row is still pending to us).
 */
export async function claimOutboxRows(
  trx: Transaction<unknown>,
  schema: string,
  limit: number,
): Promise<ClaimedOutboxRow[]> {
  const outbox = sql.table(`${schema}.outbox`);
  const result = await sql<ClaimedRecord>`
    select o.id, o.topic, o.tag, o.keys, o.body, o.properties, o.message_group, o.deliver_at, o.attempts,
           extract(epoch from clock_timestamp() - o.created_at)::float8 as age_seconds
    from ${outbox} o
    where o.status = 'pending'
      and o.next_attempt_at <= now()
      and (o.message_group is null or not exists (
        select 1 from ${outbox} e
        where e.message_group = o.message_group and e.id < o.id and e.status <> 'sent'))
    order by o.id
    limit ${limit}
    for update of o skip locked`.execute(trx);
  return result.rows.map((row) => ({
    attempts: row.attempts,
    ageSeconds: Math.max(0, row.age_seconds),
    message: {
      id: String(row.id),
      topic: row.topic,
      tag: row.tag ?? undefined,
      keys: row.keys,
      body: row.body,
      properties: row.properties,
      messageGroup: row.message_group ?? undefined,
      deliverAt: row.deliver_at ?? undefined,
    },
  }));
}

/** Records confirmed sends: removes the rows, or marks them sent when sent rows are kept. */
export async function markOutboxRowsSent(
  trx: Transaction<unknown>,
  schema: string,
  sent: readonly { readonly id: string; readonly messageId: string }[],
  keep: boolean,
): Promise<void> {
  if (sent.length === 0) return;
  const outbox = sql.table(`${schema}.outbox`);
  const ids = sent.map((row) => row.id);
  if (!keep) {
    await sql`delete from ${outbox} where id = any(${ids}::bigint[])`.execute(trx);
    return;
  }
  const messageIds = sent.map((row) => row.messageId);
  await sql`
    update ${outbox} o
    set status = 'sent', sent_at = now(), attempts = o.attempts + 1, message_id = v.message_id,
        last_error = null
    from unnest(${ids}::bigint[], ${messageIds}::text[]) as v(id, message_id)
    where o.id = v.id`.execute(trx);
}

/** Records a failed send: retried after `retryInMs`, or, when `retryInMs` is undefined, failed for good. */
export async function markOutboxRowFailed(
  trx: Transaction<unknown>,
  schema: string,
  id: string,
  error: string,
  retryInMs: number | undefined,
): Promise<void> {
  const outbox = sql.table(`${schema}.outbox`);
  await sql`
    update ${outbox}
    set attempts = attempts + 1, last_error = ${error},
        status = ${retryInMs === undefined ? 'failed' : 'pending'},
        next_attempt_at = now() + ${retryInMs ?? 0} * interval '1 millisecond'
    where id = ${id}::bigint`.execute(trx);
}

/**
 * Deletes up to `limit` rows sent before the retention window; resolves to how many. Small
 * batches keep each delete's locks and WAL short.
 */
export async function removeSentOutboxRows(
  db: Kysely<unknown>,
  schema: string,
  keptForMs: number,
  limit: number,
): Promise<number> {
  const outbox = sql.table(`${schema}.outbox`);
  const result = await sql`
    delete from ${outbox} where id in (
      select id from ${outbox}
      where status = 'sent' and sent_at < now() - ${keptForMs} * interval '1 millisecond'
      order by sent_at
      limit ${limit})`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
