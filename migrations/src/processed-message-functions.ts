import { createHash } from 'node:crypto';

/**
 * The first key of the two-key advisory locks that serialise claims of one key in `schema`. Two
 * claims of the same key take the same lock, whichever slice they write to; the two-key form
 * never collides with the single-bigint locks retention and migrations take.
 */
export function claimLockClass(schema: string): number {
  return createHash('sha256').update(`idem:claim:${schema}`).digest().readInt32BE(0);
}

/**
 * Where the processed keys live. Migration 0005 put the sliced table under the old name and the
 * pre-slice table under `processed_messages_legacy`; 0006 gives the old name back to the pre-slice
 * table, so consumers of the version before 0005 keep claiming through it during a rollout.
 */
export interface ProcessedKeysLayout {
  /** The table partitioned by slice. */
  readonly sliced: string;
  /** Its partitions are named this plus the slice number. */
  readonly partitionPrefix: string;
  /** The pre-slice table, still checked until its keys age out. */
  readonly legacy: string;
}

/** The layout of migration 0005. */
export const LAYOUT_0005: ProcessedKeysLayout = {
  sliced: 'processed_messages',
  partitionPrefix: 'processed_messages_',
  legacy: 'processed_messages_legacy',
};

/** The layout since migration 0006. */
export const LAYOUT_0006: ProcessedKeysLayout = {
  sliced: 'processed_keys',
  partitionPrefix: 'processed_keys_',
  legacy: 'processed_messages',
};

/**
 * The slice new keys go to: the newest slice that has started, or the oldest slice when none has
 * (a transaction that began before the first slice was created). Retention creates slices ahead,
 * so when it stops running keys keep going to the last started slice instead of failing.
 */
export function currentSliceFunction(schema: string): string {
  const s = `"${schema}"`;
  return `
    create function ${s}.current_processed_slice() returns integer
    language sql stable as $$
      select coalesce(
        (select max(slice) from ${s}.processed_message_slices where starts_at <= now()),
        (select min(slice) from ${s}.processed_message_slices))
    $$`;
}

/** How a claim function inserts its keys; each migration keeps the form it shipped with. */
export type ClaimInsertForm =
  /** 0005 and 0006: `ON CONFLICT DO NOTHING`, a speculative insertion per key. */
  | 'speculative'
  /**
   * 0007: a plain insert of the distinct keys. The per-key locks and the NOT EXISTS checks after
   * them already exclude every key another transaction holds or committed, so the speculative
   * insertion only cost time (a fifth of a 64-key claim); a conflict that still happened would
   * be a bug, and fails the claim (retryable) instead of being skipped.
   */
  | 'plain';

/**
 * The claim, one round trip: lock each key (in a fixed order, so two batches cannot deadlock on
 * each other), then insert the keys that no slice and no legacy row holds. The insert runs after
 * the locks in its own statement, so under READ COMMITTED its snapshot already shows what the
 * previous holder of a lock committed: a concurrent duplicate waits for the first delivery and
 * then finds its key (skip) or not (it rolled back: claim). Keys come back in their stored form.
 */
export function claimFunction(
  schema: string,
  layout: ProcessedKeysLayout,
  form: ClaimInsertForm = 'speculative',
): string {
  const s = `"${schema}"`;
  return `
    create or replace function ${s}.claim_processed_messages(
      p_group text, p_keys text[], p_original_keys bytea[], p_message_ids text[], p_topics text[],
      p_tags text[], p_handlers text[], p_payload_hashes bytea[], p_attempts integer[],
      p_transports text[])
    returns setof text
    language plpgsql volatile as $$
    declare
      v_lock integer;
      v_slice integer;
    begin
      for v_lock in select distinct hashtext(p_group || '/' || k) from unnest(p_keys) as k order by 1 loop
        perform pg_advisory_xact_lock(${claimLockClass(schema)}, v_lock);
      end loop;
      v_slice := ${s}.current_processed_slice();
      -- A slice that retention has just created and that starts at once (retention had fallen
      -- behind) was once missing from the claims' partition routing for over a second, in a CI
      -- run under load while another transaction held the older slices (cause not pinned down;
      -- not reproduced alone). Rather than fail the claim, the keys then go to the newest older
      -- slice: it stays until the window has passed since the new slice started, so they are
      -- kept for the window less that moment, and every slice is still checked for duplicates.
      loop
        begin
          return query ${claimInsert(s, layout, form)};
          return;
        exception when check_violation then
          if sqlerrm not like 'no partition of relation%' then raise; end if;
          v_slice := (select max(slice) from ${s}.processed_message_slices where slice < v_slice);
          if v_slice is null then raise; end if;
        end;
      end loop;
    end
    $$`;
}

function claimInsert(s: string, layout: ProcessedKeysLayout, form: ClaimInsertForm): string {
  return `
        insert into ${s}.${layout.sliced} as p
          (consumer_group, idempotency_key, original_key, message_id, topic, tag, handler,
           payload_hash, delivery_attempt, transport, slice)
        select ${form === 'plain' ? 'distinct on (c.key)' : ''} p_group, c.key, c.original_key, c.message_id, c.topic, c.tag, c.handler,
               c.payload_hash, c.attempt, c.transport, v_slice
        from unnest(p_keys, p_original_keys, p_message_ids, p_topics, p_tags, p_handlers,
                    p_payload_hashes, p_attempts, p_transports)
          as c(key, original_key, message_id, topic, tag, handler, payload_hash, attempt, transport)
        where not exists (select 1 from ${s}.${layout.sliced} o
                          where o.consumer_group = p_group and o.idempotency_key = c.key)
          and not exists (select 1 from ${s}.${layout.legacy} l
                          where l.consumer_group = p_group and l.idempotency_key = c.key)
        ${form === 'speculative' ? 'on conflict do nothing' : ''}
        returning p.idempotency_key`;
}

/**
 * Retention: creates slices ahead, empties the legacy table once all its keys are older than the
 * window, and detaches every slice whose successor started longer ago than the window (no key in
 * it is younger), to be dropped by the next call (`dropped` counts the detached slices). Each step
 * waits at most `p_lock_timeout` for its lock and is otherwise deferred, so consumers never queue
 * behind retention for longer than that. Security definer: the consumers' role has no DDL
 * rights, the schema's owner does.
 */
export function rotateFunction(schema: string, layout: ProcessedKeysLayout): string {
  const s = `"${schema}"`;
  const lit = `'${schema}'`;
  const { sliced, legacy } = layout;
  return `
    create or replace function ${s}.rotate_processed_messages(
      p_window interval, p_slice interval, p_lead integer, p_lock_timeout text)
    returns table (created integer, dropped integer, dropped_keys bigint, deferred integer,
                   legacy_truncated boolean, legacy_keys bigint, oldest_slice_at timestamptz)
    language plpgsql volatile security definer
    set search_path = pg_catalog, pg_temp as $$
    declare
      v_last record;
      v_old record;
      v_next integer;
      v_name text;
      v_keys bigint;
      v_leftovers integer := 0;
    begin
      if p_slice <= interval '0' or p_window < interval '0' or p_lead < 1 then
        raise exception 'rotate_processed_messages: bad window %, slice % or lead %', p_window, p_slice, p_lead
          using errcode = '22023';
      end if;
      created := 0; dropped := 0; dropped_keys := 0; deferred := 0;
      legacy_truncated := false; legacy_keys := 0;
      perform set_config('lock_timeout', p_lock_timeout, true);

      -- Slices detached by an earlier call are dropped here, in a transaction that takes no lock on
      -- the sliced table: removing their files costs a moment per million keys at commit, and
      -- claims must not wait for that. No claim reads a detached slice.
      for v_name in
        select c.relname from pg_class c
        where c.relnamespace = to_regnamespace(${lit}) and c.relkind = 'r'
          and c.relname ~ '^${layout.partitionPrefix}expired_[0-9]+$'
      loop
        begin
          execute format('drop table %I.%I', ${lit}, v_name);
          v_leftovers := v_leftovers + 1;
        exception when lock_not_available then
          deferred := deferred + 1;
        end;
      end loop;

      -- Ahead: create-then-attach takes only SHARE UPDATE EXCLUSIVE on the parent, which claims
      -- do not conflict with (CREATE TABLE ... PARTITION OF would take ACCESS EXCLUSIVE).
      loop
        exit when (select count(*) from ${s}.processed_message_slices where starts_at > now()) >= p_lead;
        select slice, starts_at into v_last from ${s}.processed_message_slices order by slice desc limit 1;
        v_next := v_last.slice + 1;
        v_name := '${layout.partitionPrefix}' || v_next;
        execute format('create table %I.%I (like %I.${sliced} including defaults)', ${lit}, v_name, ${lit});
        execute format('alter table %I.${sliced} attach partition %I.%I for values in (%s)',
                       ${lit}, ${lit}, v_name, v_next);
        insert into ${s}.processed_message_slices (slice, starts_at)
        values (v_next, greatest(v_last.starts_at + p_slice, now()));
        created := created + 1;
      end loop;

      -- Once the legacy table's newest key is older than the window it is emptied in one
      -- statement. Consumers of the version before 0005 may still claim into it during a rollout:
      -- the lock keeps them out between the second look and the truncate.
      if exists (select 1 from ${s}.${legacy})
         and not exists (select 1 from ${s}.${legacy} where processed_at >= now() - p_window) then
        begin
          lock table ${s}.${legacy} in access exclusive mode;
          if not exists (select 1 from ${s}.${legacy} where processed_at >= now() - p_window) then
            select greatest(reltuples, 0)::bigint into legacy_keys from pg_class
            where oid = to_regclass(format('%I.${legacy}', ${lit}));
            truncate ${s}.${legacy};
            legacy_truncated := true;
          end if;
        exception when lock_not_available then
          deferred := deferred + 1;
          legacy_keys := 0;
        end;
      end if;

      -- Expired: a slice stopped receiving keys when its successor started. It is detached, which
      -- holds the sliced table's exclusive lock only for a catalog update, and renamed for the
      -- next call to drop; not in a call that dropped some, whose commit is slow.
      for v_old in
        select o.slice,
               (select min(n.starts_at) from ${s}.processed_message_slices n where n.starts_at > o.starts_at) as ended_at
        from ${s}.processed_message_slices o order by o.slice
      loop
        exit when v_old.ended_at is null or v_old.ended_at > now() - p_window;
        if v_leftovers > 0 then
          deferred := deferred + 1;
          exit;
        end if;
        v_name := '${layout.partitionPrefix}' || v_old.slice;
        begin
          select greatest(reltuples, 0)::bigint into v_keys from pg_class
          where oid = to_regclass(format('%I.%I', ${lit}, v_name));
          if to_regclass(format('%I.%I', ${lit}, v_name)) is not null then
            execute format('alter table %I.${sliced} detach partition %I.%I', ${lit}, ${lit}, v_name);
            execute format('alter table %I.%I rename to %I', ${lit}, v_name,
                           '${layout.partitionPrefix}expired_' || v_old.slice);
          end if;
          delete from ${s}.processed_message_slices where slice = v_old.slice;
          dropped := dropped + 1;
          dropped_keys := dropped_keys + coalesce(v_keys, 0);
        exception when lock_not_available then
          deferred := deferred + 1;
          exit;
        end;
      end loop;
      oldest_slice_at := (select min(starts_at) from ${s}.processed_message_slices);
      return next;
    end
    $$`;
}

/**
 * What keeps a consumer of the version before 0005 exactly-once during a rolling upgrade. It
 * claims with `INSERT INTO processed_messages ... ON CONFLICT (consumer_group, idempotency_key)
 * DO NOTHING RETURNING idempotency_key`, and since 0006 that name is the pre-slice table again,
 * with its unique key. Before each of its rows, this trigger takes the same per-key advisory lock
 * as {@link claimFunction} and skips the row (returns null: not inserted, not returned, which the
 * old version reads as "already processed") when a slice holds the key. Otherwise the row goes
 * into the pre-slice table, which the new claim checks under that same lock. Row triggers run
 * before the conflict check, so the lock is held by then.
 *
 * Security definer: the old version's role may lack SELECT on the sliced table.
 */
export function oldVersionClaimTrigger(schema: string, layout: ProcessedKeysLayout): string[] {
  const s = `"${schema}"`;
  return [
    `create function ${s}.claim_old_version_processed_message() returns trigger
     language plpgsql volatile security definer
     set search_path = pg_catalog, pg_temp as $$
     begin
       perform pg_advisory_xact_lock(${claimLockClass(schema)},
                                     hashtext(new.consumer_group || '/' || new.idempotency_key));
       if exists (select 1 from ${s}.${layout.sliced} k
                  where k.consumer_group = new.consumer_group and k.idempotency_key = new.idempotency_key) then
         return null;
       end if;
       return new;
     end
     $$`,
    `create trigger claim_like_sliced_keys before insert on ${s}.${layout.legacy}
     for each row execute function ${s}.claim_old_version_processed_message()`,
  ];
}
