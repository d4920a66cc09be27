import type { Transaction } from 'kysely';
import type { IdemTables } from './idem-tables.js';

/** The message groups among `messageGroups` that are quarantined for the consumer group. */
export async function findQuarantinedGroups(
  trx: Transaction<IdemTables>,
  consumerGroup: string,
  messageGroups: readonly string[],
): Promise<Set<string>> {
  if (messageGroups.length === 0) return new Set();
  const rows = await trx
    .selectFrom('quarantined_groups')
    .select('message_group')
    .where('consumer_group', '=', consumerGroup)
    .where('message_group', 'in', [...new Set(messageGroups)])
    .execute();
  return new Set(rows.map((row) => row.message_group));
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
      message_group: entry.messageGroup,
      reason: entry.reason,
      message_id: entry.messageId,
    })
    .onConflict((conflict) => conflict.columns(['consumer_group', 'message_group']).doNothing())
    .execute();
}
