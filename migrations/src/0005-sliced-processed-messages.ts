import type { Migration } from 'kysely/migration';
import {
  claimFunction,
  currentSliceFunction,
  LAYOUT_0005,
  rotateFunction,
} from './processed-message-functions.js';
import { statementsMigration } from './run-statements.js';

const COLUMNS =
  'consumer_group, idempotency_key, message_id, topic, tag, handler, payload_hash, delivery_attempt, transport, processed_at, original_key';

/**
 * Processed keys in time slices: `processed_messages` becomes a table partitioned by `slice`
 * (one partition per slice, listed in `processed_message_slices`), so retention drops a whole
 * slice once it is older than the dedup window instead of deleting keys one by one.
 *
 * Online: the old table is renamed `processed_messages_legacy` (no copy) and every claim still
 * checks it, so the keys stored before the upgrade keep deduplicating; retention empties it in
 * one statement once its newest key is older than the window.
 */
export function slicedProcessedMessages(schema: string): Migration {
  const s = `"${schema}"`;
  return statementsMigration(
    [
      `alter table ${s}.processed_messages rename to processed_messages_legacy`,
      `alter index ${s}.processed_messages_pkey rename to processed_messages_legacy_pkey`,
      `alter index ${s}.processed_messages_processed_at_idx rename to processed_messages_legacy_processed_at_idx`,
      `create table ${s}.processed_message_slices (
           slice integer primary key,
           starts_at timestamptz not null unique)`,
      `insert into ${s}.processed_message_slices (slice, starts_at) values (0, now())`,
      currentSliceFunction(schema),
      // The slice is part of the key because Postgres requires the partition key in every unique
      // constraint of a partitioned table; the claim's advisory lock makes the key unique
      // across slices. No processed_at index: retention never looks for keys by age.
      `create table ${s}.processed_messages (
           consumer_group text not null,
           idempotency_key text not null,
           message_id text not null,
           topic text not null,
           tag text not null default '',
           handler text not null,
           payload_hash bytea not null,
           delivery_attempt integer not null,
           transport text not null,
           processed_at timestamptz not null default now(),
           original_key bytea,
           slice integer not null default ${s}.current_processed_slice(),
           constraint processed_messages_pkey primary key (consumer_group, idempotency_key, slice)
         ) partition by list (slice)`,
      `create table ${s}.processed_messages_0 partition of ${s}.processed_messages for values in (0)`,
      claimFunction(schema, LAYOUT_0005),
      rotateFunction(schema, LAYOUT_0005),
      // It runs as the schema's owner: only roles granted EXECUTE (the runtime role) may rotate.
      `revoke execute on function ${s}.rotate_processed_messages(interval, interval, integer, text) from public`,
    ],
    [
      `insert into ${s}.processed_messages_legacy (${COLUMNS})
         select ${COLUMNS} from ${s}.processed_messages on conflict do nothing`,
      `drop function ${s}.rotate_processed_messages(interval, interval, integer, text)`,
      `drop function ${s}.claim_processed_messages(text, text[], bytea[], text[], text[], text[], text[], bytea[], integer[], text[])`,
      `drop table ${s}.processed_messages`,
      `drop function ${s}.current_processed_slice()`,
      `drop table ${s}.processed_message_slices`,
      `alter table ${s}.processed_messages_legacy rename to processed_messages`,
      `alter index ${s}.processed_messages_legacy_pkey rename to processed_messages_pkey`,
      `alter index ${s}.processed_messages_legacy_processed_at_idx rename to processed_messages_processed_at_idx`,
    ],
  );
}
