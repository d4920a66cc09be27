import type { Transaction } from 'kysely';
import { IdemError } from '../errors.js';
import type { InboundMessage } from '../message.js';
import type { IdemTables } from '../store/idem-tables.js';
import { findQuarantinedGroups } from '../store/quarantine-store.js';
import type { DispatchResult } from './dispatch-result.js';
import type { PoisonMessage, ReadyMessage } from './prepare-message.js';
import type { ProcessorSettings } from './processor-settings.js';

/**
 * The quarantined message groups among those of `messages`. Under `onMessageGroupDeadLetter:
 * 'continue'` no group is quarantined, whatever the table holds (a group quarantined while the
 * service ran with `'quarantine'` stays listed until released, but its messages flow), and the
 * lookup is skipped, as it is when no message has a group.
 */
export async function quarantinedGroupsOf(
  settings: ProcessorSettings,
  idem: () => Transaction<IdemTables>,
  messages: readonly (ReadyMessage | PoisonMessage)[],
): Promise<Set<string>> {
  if (settings.onMessageGroupDeadLetter !== 'quarantine') return new Set();
  const groups = messages.flatMap((item) =>
    item.message.messageGroup === undefined ? [] : [item.message.messageGroup],
  );
  if (groups.length === 0) return new Set();
  return await findQuarantinedGroups(idem(), settings.registry.consumerGroup, groups);
}

/**
 * True when `result` quarantines its message's group: a dead letter in a FIFO message group under
 * `onMessageGroupDeadLetter: 'quarantine'` (the dead-letter write stores the quarantine too).
 */
export function quarantinesGroup(settings: ProcessorSettings, result: DispatchResult): boolean {
  return result.outcome === 'dead-lettered' && settings.onMessageGroupDeadLetter === 'quarantine';
}

/** The dead letter of a message whose FIFO message group is quarantined. */
export function groupQuarantinedError(message: InboundMessage): IdemError {
  const group = message.messageGroup ?? '';
  return new IdemError(
    'GROUP_QUARANTINED',
    `message ${message.messageId} is quarantined with its message group "${group}": an earlier message of the group was dead-lettered; fix and replay it, then \`idem groups release ${group}\` processes the group's quarantined messages in order`,
  );
}
