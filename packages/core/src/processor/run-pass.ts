import { type ProcessedMessageRecord, releaseKey } from '../store/processed-messages-store.js';
import { deadLetteredResult, processedResult } from './build-result.js';
import { claimMessages } from './claim-messages.js';
import { deadLetterIn } from './dead-letter-message.js';
import type { DispatchResult } from './dispatch-result.js';
import { groupQuarantinedError, quarantinesGroup } from './group-quarantine.js';
import type { HandlerJudgement } from './judge-handler-error.js';
import type { PoisonMessage, ReadyMessage } from './prepare-message.js';
import { resolveDuplicate } from './resolve-duplicate.js';
import { type HandlerScope, invokeHandler, invokeInSavepoint } from './run-handler.js';
import { settleJudgement } from './settle-judgement.js';

/** How one run of a batch's transaction goes, and what earlier runs of it learned. */
export interface PassPlan {
  /** Each handler in a savepoint of its own, so a failing one rolls back alone. */
  readonly savepoints: boolean;
  /** Handlers that failed in an earlier run, with what their failure means: they do not run again. */
  readonly judged: ReadonlyMap<ReadyMessage, HandlerJudgement>;
}

/** Filled while a run goes: the handlers that ran, to blame a failure seen only later. */
export interface PassTrace {
  readonly handlersRun: ReadyMessage[];
}

/**
 * One run of a batch inside its transaction: claims the keys, then settles every message in
 * order: a message of a quarantined group is dead-lettered, a poison message too, a holder of a
 * claimed key runs its handler, and any other delivery is a duplicate. A dead letter in a FIFO
 * message group quarantines the group for the messages after it.
 *
 * Without savepoints a handler's throw escapes as a {@link HandlerFailure} and the whole
 * transaction rolls back; with savepoints it rolls back only its own message.
 */
export async function runPass(
  scope: HandlerScope,
  prepared: readonly (ReadyMessage | PoisonMessage)[],
  plan: PassPlan,
  trace: PassTrace,
): Promise<DispatchResult[]> {
  const { settings, idem, startedAt } = scope;
  const { quarantined, holders, claimed, processed } = await claimMessages(
    settings,
    idem,
    prepared,
    plan.judged,
  );
  const results: DispatchResult[] = [];
  const holderResults = new Map<string, DispatchResult>();
  for (const [index, item] of prepared.entries()) {
    const group = item.message.messageGroup;
    const holder = item.kind === 'ready' ? holders.get(item.key) : undefined;
    let result: DispatchResult;
    if (group !== undefined && quarantined.has(group)) {
      // Quarantined by a dead letter earlier in this batch: its claimed key goes back first.
      if (holder === item && claimed.delete(item.key)) {
        await releaseKey(idem, settings.registry.consumerGroup, item.key);
      }
      const error = groupQuarantinedError(item.message);
      await deadLetterIn(settings, idem, item, error);
      result = deadLetteredResult(item, error, startedAt);
    } else if (item.kind === 'poison') {
      await deadLetterIn(settings, idem, item, item.error);
      result = deadLetteredResult(item, item.error, startedAt);
    } else if (holder !== item) {
      results.push(await settleLaterDelivery(scope, item, holderResults.get(item.key), processed));
      continue;
    } else {
      const judgement = plan.judged.get(item);
      if (judgement !== undefined) {
        result = await settleJudgement(settings, idem, item, judgement, startedAt);
      } else if (!claimed.has(item.key)) {
        result = await resolveDuplicate(settings, idem, item, processed.get(item.key), startedAt);
      } else if (plan.savepoints) {
        trace.handlersRun.push(item);
        result = await invokeInSavepoint(scope, item, `idem_message_${index + 1}`);
      } else {
        trace.handlersRun.push(item);
        await invokeHandler(scope, item);
        result = processedResult(item, startedAt);
      }
    }
    if (holder === item) holderResults.set(item.key, result);
    if (group !== undefined && quarantinesGroup(settings, result)) quarantined.add(group);
    results.push(result);
  }
  return results;
}

/**
 * A second delivery of a key held earlier in the batch. When the holder processed the key (or
 * found it processed) this one is a duplicate; when the holder failed or was dead-lettered this
 * one shares that fate: acking it as a duplicate would be wrong, since for a broker acking any
 * delivery of a message consumes the message, and nothing was processed.
 */
async function settleLaterDelivery(
  scope: HandlerScope,
  item: ReadyMessage,
  holderResult: DispatchResult | undefined,
  processed: ReadonlyMap<string, ProcessedMessageRecord>,
): Promise<DispatchResult> {
  if (
    holderResult === undefined ||
    holderResult.outcome === 'processed' ||
    holderResult.outcome === 'duplicate'
  ) {
    return await resolveDuplicate(scope.settings, scope.idem, item, processed.get(item.key), scope.startedAt);
  }
  return { ...holderResult, messageId: item.message.messageId };
}
