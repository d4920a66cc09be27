import type { Migration } from 'kysely/migration';
import {
  claimFunction,
  LAYOUT_0005,
  LAYOUT_0006,
  oldVersionClaimTrigger,
  type ProcessedKeysLayout,
  rotateFunction,
} from './processed-message-functions.js';
import { statementsMigration } from './run-statements.js';

/**
 * A rolling upgrade without a pause: consumers of the version before 0005 keep claiming, exactly
 * once against the new claims, until they are replaced.
 *
 * They claim with `INSERT INTO processed_messages ... ON CONFLICT (consumer_group,
 * idempotency_key)`, which needs a unique key on exactly those columns, and the sliced table
 * cannot have one (a partitioned table's unique keys include the partition key). So the sliced
 * table becomes `processed_keys` and the pre-slice table gets its old name back, with a trigger
 * that makes an old-version claim take the new claim's per-key lock and skip keys a slice holds
 * (`oldVersionClaimTrigger`). Renames only: no row moves, and the old table's privileges, which
 * the old version's role has, stay with it.
 */
export function oldVersionClaims(schema: string): Migration {
  const s = `"${schema}"`;
  return statementsMigration(
    [
      `alter table ${s}.processed_messages rename to processed_keys`,
      `alter index ${s}.processed_messages_pkey rename to processed_keys_pkey`,
      renamePartitions(schema, LAYOUT_0006.sliced, LAYOUT_0005, LAYOUT_0006),
      `alter table ${s}.processed_messages_legacy rename to processed_messages`,
      `alter index ${s}.processed_messages_legacy_pkey rename to processed_messages_pkey`,
      `alter index ${s}.processed_messages_legacy_processed_at_idx rename to processed_messages_processed_at_idx`,
      claimFunction(schema, LAYOUT_0006),
      rotateFunction(schema, LAYOUT_0006),
      ...oldVersionClaimTrigger(schema, LAYOUT_0006),
    ],
    [
      `drop trigger claim_like_sliced_keys on ${s}.processed_messages`,
      `drop function ${s}.claim_old_version_processed_message()`,
      `alter index ${s}.processed_messages_pkey rename to processed_messages_legacy_pkey`,
      `alter index ${s}.processed_messages_processed_at_idx rename to processed_messages_legacy_processed_at_idx`,
      `alter table ${s}.processed_messages rename to processed_messages_legacy`,
      renamePartitions(schema, LAYOUT_0006.sliced, LAYOUT_0006, LAYOUT_0005),
      `alter index ${s}.processed_keys_pkey rename to processed_messages_pkey`,
      `alter table ${s}.processed_keys rename to processed_messages`,
      claimFunction(schema, LAYOUT_0005),
      rotateFunction(schema, LAYOUT_0005),
    ],
  );
}

/** Renames every slice of `parent` (and its primary key) from one layout's prefix to the other's. */
function renamePartitions(
  schema: string,
  parent: string,
  from: ProcessedKeysLayout,
  to: ProcessedKeysLayout,
): string {
  return `
    do $$
    declare
      v_old text;
      v_new text;
    begin
      for v_old in
        select c.relname from pg_inherits i join pg_class c on c.oid = i.inhrelid
        where i.inhparent = format('%I.%I', '${schema}', '${parent}')::regclass
      loop
        v_new := '${to.partitionPrefix}' || substr(v_old, length('${from.partitionPrefix}') + 1);
        execute format('alter table %I.%I rename to %I', '${schema}', v_old, v_new);
        if to_regclass(format('%I.%I', '${schema}', v_old || '_pkey')) is not null then
          execute format('alter index %I.%I rename to %I', '${schema}', v_old || '_pkey', v_new || '_pkey');
        end if;
      end loop;
    end
    $$`;
}
