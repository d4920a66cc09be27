import { type Kysely, sql } from 'kysely';
import { type ReplayReport, replayDeadLetters } from '../dead-letters/replay-dead-letters.js';
import type { Processor } from '../processor/create-processor.js';
import { DEFAULT_SCHEMA } from '../schema-name.js';
import { idemTable } from './idem-table.js';
import { toOperationError } from './operation-error.js';

/** A FIFO message group held back after one of its messages was dead-lettered. */
export interface QuarantinedGroup {
  readonly consumerGroup: string;
  readonly messageGroup: string;
  /** The reason code of the dead letter that started the quarantine. */
  readonly reason: string;
  readonly messageId: string;
  readonly quarantinedAt: Date;
  /** Dead letters of the group still open: the cause and the messages quarantined after it. */
  readonly openDeadLetters: number;
}

/** Lists quarantined message groups, oldest first. */
export async function listQuarantinedGroups<DB>(
  userDb: Kysely<DB>,
  options: { readonly schema?: string; readonly consumerGroup?: string } = {},
): Promise<QuarantinedGroup[]> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  const schema = options.schema ?? DEFAULT_SCHEMA;
  try {
    const rows = await sql<{
      consumer_group: string;
      message_group: string;
      reason: string;
      message_id: string;
      quarantined_at: Date;
      open: string;
    }>`
      select q.consumer_group, q.message_group, q.reason, q.message_id, q.quarantined_at,
        (select count(*) from ${idemTable(schema, 'dead_letters')} d
          where d.consumer_group = q.consumer_group and d.message_group = q.message_group
            and d.resolved_at is null) as open
      from ${idemTable(schema, 'quarantined_groups')} q
      where ${options.consumerGroup === undefined ? sql`true` : sql`q.consumer_group = ${options.consumerGroup}`}
      order by q.quarantined_at, q.message_group`.execute(db);
    return rows.rows.map((row) => ({
      consumerGroup: row.consumer_group,
      messageGroup: row.message_group,
      reason: row.reason,
      messageId: row.message_id,
      quarantinedAt: row.quarantined_at,
      openDeadLetters: Number(row.open),
    }));
  } catch (error) {
    throw toOperationError(error, schema, 'list quarantined message groups');
  }
}

/** What {@link releaseMessageGroup} did. */
export interface ReleaseReport {
  /** False when the group was not quarantined (its open dead letters are still replayed). */
  readonly wasQuarantined: boolean;
  /** The replay of the group's open dead letters, in the order they arrived. */
  readonly replay: ReplayReport;
  /** True when a replayed message was dead-lettered again, which quarantined the group anew. */
  readonly quarantinedAgain: boolean;
}

/**
 * Releases a quarantined FIFO message group after a fix: lifts the quarantine, then replays the
 * group's open dead letters through the processor in the order they arrived, the one that caused
 * the quarantine first and the group's quarantined messages after it. At the first message that fails or is
 * dead-lettered again, the group is quarantined anew and the rest stay quarantined: the group's order
 * is never broken.
 *
 * To skip the message that caused the quarantine instead of replaying it, purge its dead letter
 * first (`idem dead-letters purge <id>`).
 */
export async function releaseMessageGroup<DB>(
  processor: Processor,
  userDb: Kysely<DB>,
  messageGroup: string,
): Promise<ReleaseReport> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  const schema = processor.schema;
  const conn = db as unknown as Kysely<unknown>;
  let ids: string[];
  let wasQuarantined: boolean;
  try {
    const released = await sql`
      delete from ${idemTable(schema, 'quarantined_groups')}
      where consumer_group = ${processor.consumerGroup} and message_group = ${messageGroup}`.execute(conn);
    wasQuarantined = Number(released.numAffectedRows ?? 0) > 0;
    const open = await sql<{ id: string }>`
      select id from ${idemTable(schema, 'dead_letters')}
      where consumer_group = ${processor.consumerGroup} and message_group = ${messageGroup} and resolved_at is null
      order by id`.execute(conn);
    ids = open.rows.map((row) => String(row.id));
  } catch (error) {
    throw toOperationError(error, schema, `release message group "${messageGroup}"`);
  }
  // One at a time, stopping at the first message that does not go through: processing the
  // messages after it would break the group's order.
  const items: ReplayReport['items'][number][] = [];
  for (const id of ids) {
    const [item] = (await replayDeadLetters(processor, db, { ids: [id] })).items;
    if (item === undefined) break;
    items.push(item);
    if (item.outcome === 'replayed' || item.outcome === 'skipped') continue;
    await sql`
      insert into ${idemTable(schema, 'quarantined_groups')} (consumer_group, message_group, reason, message_id)
      values (${processor.consumerGroup}, ${messageGroup}, ${item.error?.code ?? 'REPLAY_FAILED'}, ${item.key ?? id})
      on conflict do nothing`.execute(conn);
    break;
  }
  const replayed = items.filter((item) => item.outcome === 'replayed').length;
  const replay: ReplayReport = {
    replayed,
    stillOpen: ids.length - replayed - items.filter((item) => item.outcome === 'skipped').length,
    skipped: items.filter((item) => item.outcome === 'skipped').length,
    items,
  };
  const again = await listQuarantinedGroups(db, { schema, consumerGroup: processor.consumerGroup });
  return {
    wasQuarantined,
    replay,
    quarantinedAgain: again.some((group) => group.messageGroup === messageGroup),
  };
}
