import { claimKeys, findProcessed, type ProcessedMessageRecord } from '../store/processed-messages-store.js';
import { quarantinedGroupsOf } from './group-quarantine.js';
import type { HandlerJudgement } from './judge-handler-error.js';
import type { PoisonMessage, ReadyMessage } from './prepare-message.js';
import type { HandlerScope } from './run-handler.js';

/** What a dispatch transaction knows about its messages before any handler runs. */
export interface ClaimedMessages {
  /** The quarantined message groups of the messages (empty under `'continue'`). */
  readonly quarantined: Set<string>;
  /** For each key, the delivery that holds it: the first one whose group is not quarantined. */
  readonly holders: ReadonlyMap<string, ReadyMessage>;
  /** The keys this transaction holds now; a holder whose key is here runs its handler. */
  readonly claimed: Set<string>;
  /** The records of keys an earlier delivery processed, for the holders that claimed nothing. */
  readonly processed: ReadonlyMap<string, ProcessedMessageRecord>;
}

/**
 * Looks up the quarantined message groups, then bounds the transaction's lock waits and claims
 * the holders' keys in one statement (messages of quarantined groups claim nothing; nor do holders
 * whose outcome an earlier run of the batch already decided) and reads the records of the keys
 * that were processed before.
 */
export async function claimMessages(
  scope: HandlerScope,
  prepared: readonly (ReadyMessage | PoisonMessage)[],
  judged: ReadonlyMap<ReadyMessage, HandlerJudgement>,
): Promise<ClaimedMessages> {
  const { settings } = scope;
  const consumerGroup = settings.registry.consumerGroup;
  // The quarantine lookup waits on no lock; the claim sets the lock timeout before it may wait.
  const quarantined = await quarantinedGroupsOf(settings, () => scope.idem, prepared);
  const holders = new Map<string, ReadyMessage>();
  for (const item of prepared) {
    const group = item.message.messageGroup;
    if (item.kind === 'ready' && !holders.has(item.key) && (group === undefined || !quarantined.has(group))) {
      holders.set(item.key, item);
    }
  }
  const claiming = [...holders.values()].filter((item) => !judged.has(item));
  // The claim names Idem's schema itself: no schema-scoped builder needed.
  const claimed = await claimKeys(
    scope.own,
    { schema: settings.schema, consumerGroup, lockTimeoutMs: settings.lockTimeoutMs },
    claiming.map(({ key, originalKey, message, route, payloadHash }) => ({
      idempotencyKey: key,
      originalKey,
      messageId: message.messageId,
      topic: message.topic,
      tag: message.tag ?? '',
      handler: route.handlerName,
      payloadHash,
      deliveryAttempt: message.deliveryAttempt,
      transport: message.transport,
    })),
  );
  const unclaimed = claiming.filter((item) => !claimed.has(item.key)).map((item) => item.key);
  const processed =
    unclaimed.length === 0 ? new Map() : await findProcessed(scope.idem, consumerGroup, unclaimed);
  return { quarantined, holders, claimed, processed };
}
