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
 * Inserts the keys in one statement; returns the keys this transaction now holds. A key already
 * committed by an earlier delivery is skipped (`ON CONFLICT DO NOTHING`, which unlike a plain
 * unique violation does not abort the transaction); a key held by a concurrent, uncommitted
 * transaction makes this statement wait for it to end.
 */
export async function claimKeys(
  trx: Transaction<IdemTables>,
  consumerGroup: string,
  claims: readonly ProcessedMessageClaim[],
): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const rows = await trx
    .insertInto('processed_messages')
    .values(
      claims.map((claim) => ({
        consumer_group: consumerGroup,
        idempotency_key: claim.idempotencyKey,
        original_key: claim.originalKey ?? null,
        // Headers are informational here; their safe form keeps a hostile one from failing the claim.
        message_id: toStorableText(claim.messageId),
        topic: toStorableText(claim.topic),
        tag: toStorableText(claim.tag),
        handler: claim.handler,
        payload_hash: claim.payloadHash,
        delivery_attempt: claim.deliveryAttempt,
        transport: claim.transport,
      })),
    )
    .onConflict((conflict) => conflict.columns(['consumer_group', 'idempotency_key']).doNothing())
    .returning('idempotency_key')
    .execute();
  return new Set(rows.map((row) => row.idempotency_key));
}

/** Gives a claimed key back inside the transaction, after its handler's savepoint rolled back. */
export async function releaseKey(
  trx: Transaction<IdemTables>,
  consumerGroup: string,
  key: string,
): Promise<void> {
  await trx
    .deleteFrom('processed_messages')
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
  const rows = await db
    .selectFrom('processed_messages')
    .select(['idempotency_key', 'message_id', 'payload_hash'])
    .where('consumer_group', '=', consumerGroup)
    .where('idempotency_key', 'in', [...new Set(keys)])
    .execute();
  return new Map(
    rows.map((row) => [row.idempotency_key, { messageId: row.message_id, payloadHash: row.payload_hash }]),
  );
}
