import { type Kysely, sql, type Transaction } from 'kysely';
import { toStorableText } from '../storable-text.js';
import type { IdemTables } from './idem-tables.js';

/** What is stored with a claimed idempotency key. */
export interface ProcessedMessageClaim {
  /** In its stored form (`toStorableKey`), so `RETURNING` gives back exactly this string. */
  readonly idempotencyKey: string;
  /** The key's WTF-8 bytes when `idempotencyKey` is a digest. */
  readonly originalKey: Buffer | undefined;
  readonly messageId: string;
  readonly topic: string;
  readonly tag: string;
  readonly handler: string;
  readonly payloadHash: Buffer;
  readonly deliveryAttempt: number;
  readonly transport: string;
}

/** Where a claim goes: Idem's schema (its claim function lives there) and the consumer group. */
export interface ClaimScope {
  readonly schema: string;
  readonly consumerGroup: string;
}

/** The stored facts a duplicate is compared with. */
export interface ProcessedMessageRecord {
  /** In its stored form (`toStorableText`). */
  readonly messageId: string;
  readonly payloadHash: Buffer;
}

/**
 * Bounds how long this transaction waits for a row lock: a concurrent delivery of the same key
 * holds its uncommitted key until it commits or rolls back, and the wait must end well before
 * the broker's invisible duration does.
 */
export async function setLockTimeout(trx: Transaction<IdemTables>, lockTimeoutMs: number): Promise<void> {
  await sql`select set_config('lock_timeout', ${`${Math.max(1, Math.round(lockTimeoutMs))}ms`}, true)`.execute(
    trx,
  );
}

/**
 * Claims the keys in one round trip; returns the keys this transaction now holds. A key that any
 * slice (or the pre-slice legacy table) already holds is skipped; a key held by a concurrent,
 * uncommitted transaction makes this call wait for that transaction to end (an advisory lock per
 * key, held until commit, bounded by `lock_timeout`), then see what it committed. The argument
 * is in docs/concepts.md, "Time slices".
 */
export async function claimKeys(
  trx: Transaction<IdemTables>,
  scope: ClaimScope,
  claims: readonly ProcessedMessageClaim[],
): Promise<Set<string>> {
  const { schema, consumerGroup } = scope;
  if (claims.length === 0) return new Set();
  const column = <T>(pick: (claim: ProcessedMessageClaim) => T): T[] => claims.map(pick);
  // Headers are informational here; their safe form keeps a hostile one from failing the claim.
  const result = await sql<{ idempotency_key: string }>`
    select k as idempotency_key from ${sql.id(schema, 'claim_processed_messages')}(
      ${consumerGroup}::text,
      ${column((c) => c.idempotencyKey)}::text[],
      ${column((c) => c.originalKey ?? null)}::bytea[],
      ${column((c) => toStorableText(c.messageId))}::text[],
      ${column((c) => toStorableText(c.topic))}::text[],
      ${column((c) => toStorableText(c.tag))}::text[],
      ${column((c) => c.handler)}::text[],
      ${column((c) => c.payloadHash)}::bytea[],
      ${column((c) => c.deliveryAttempt)}::integer[],
      ${column((c) => c.transport)}::text[]) as k`.execute(trx);
  return new Set(result.rows.map((row) => row.idempotency_key));
}

/** Gives a claimed key back inside the transaction, after its handler's savepoint rolled back. */
export async function releaseKey(
  trx: Transaction<IdemTables>,
  consumerGroup: string,
  key: string,
): Promise<void> {
  await trx
    .deleteFrom('processed_keys')
    .where('consumer_group', '=', consumerGroup)
    .where('idempotency_key', '=', key)
    .execute();
}

/** The stored records of already processed keys. */
export async function findProcessed(
  db: Kysely<IdemTables> | Transaction<IdemTables>,
  consumerGroup: string,
  keys: readonly string[],
): Promise<Map<string, ProcessedMessageRecord>> {
  if (keys.length === 0) return new Map();
  const wanted = [...new Set(keys)];
  // Keys stored before the upgrade to slices stay in the legacy table until they age out.
  const rows = await db
    .selectFrom('processed_keys')
    .select(['idempotency_key', 'message_id', 'payload_hash'])
    .where('consumer_group', '=', consumerGroup)
    .where('idempotency_key', 'in', wanted)
    .unionAll(
      db
        .selectFrom('processed_messages')
        .select(['idempotency_key', 'message_id', 'payload_hash'])
        .where('consumer_group', '=', consumerGroup)
        .where('idempotency_key', 'in', wanted),
    )
    .execute();
  return new Map(
    rows.map((row) => [row.idempotency_key, { messageId: row.message_id, payloadHash: row.payload_hash }]),
  );
}
