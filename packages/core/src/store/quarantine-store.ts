import type { Transaction } from 'kysely';
import { toStorableKey } from '../storable-key.js';
import { toStorableText } from '../storable-text.js';
import type { IdemTables } from './idem-tables.js';

/**
 * The message groups among `messageGroups` that are quarantined for the consumer group. Groups
 * are stored like idempotency keys (`toStorableKey`: a NUL, a lone surrogate or more than 512
 * bytes makes it a digest), since the group is part of a btree primary key too.
 */
export async function findQuarantinedGroups(
  trx: Transaction<IdemTables>,
  consumerGroup: string,
  messageGroups: readonly string[],
): Promise<Set<string>> {
  if (messageGroups.length === 0) return new Set();
  const byStored = new Map(messageGroups.map((group) => [toStorableKey(group).key, group]));
  const rows = await trx
    .selectFrom('quarantined_groups')
    .select('message_group')
    .where('consumer_group', '=', consumerGroup)
    .where('message_group', 'in', [...byStored.keys()])
    .execute();
  return new Set(rows.flatMap((row) => byStored.get(row.message_group) ?? []));
}

/** Quarantines a message group; a group already quarantined keeps its first cause. */
export async function quarantineGroup(
  trx: Transaction<IdemTables>,
  entry: { consumerGroup: string; messageGroup: string; reason: string; messageId: string },
): Promise<void> {
  await trx
    .insertInto('quarantined_groups')
    .values({
      consumer_group: entry.consumerGroup,
      message_group: toStorableKey(entry.messageGroup).key,
      reason: entry.reason,
      message_id: toStorableText(entry.messageId),
    })
    .onConflict((conflict) => conflict.columns(['consumer_group', 'message_group']).doNothing())
    .execute();
}
