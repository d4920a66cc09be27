import type { Route } from '../handler-registry.js';
import { type ProcessedMessageRecord, releaseKey } from '../store/processed-messages-store.js';
import { deadLetteredResult, processedResult } from './build-result.js';
import { claimMessages } from './claim-messages.js';
import { deadLetterIn } from './dead-letter-message.js';
import type { DispatchResult } from './dispatch-result.js';
import { groupQuarantinedError, quarantinesGroup } from './group-quarantine.js';
import type { HandlerJudgement } from './judge-handler-error.js';
import type { PoisonMessage, ReadyMessage } from './prepare-message.js';
import { resolveDuplicate } from './resolve-duplicate.js';
import {
  type HandlerScope,
  invokeBatchHandler,
  invokeBatchInSavepoint,
  invokeHandler,
  invokeInSavepoint,
} from './run-handler.js';
import { settleJudgement } from './settle-judgement.js';

/** How one run of a batch's transaction goes, and what earlier runs of it learned. */
export interface PassPlan {
  /** Each handler in a savepoint of its own, so a failing one rolls back alone. */
  readonly savepoints: boolean;
  /** Handlers that failed in an earlier run, with what their failure means: they do not run again. */
  readonly judged: ReadonlyMap<ReadyMessage, HandlerJudgement>;
  /** Batch handlers whose call failed in an earlier run: their messages now run one at a time. */
  readonly split: ReadonlySet<Route>;
}

/** Filled while a run goes: the handlers that ran, to blame a failure seen only later. */
export interface PassTrace {
  readonly handlersRun: ReadyMessage[];
}

interface Placed {
  readonly index: number;
  readonly item: ReadyMessage;
}

/**
 * One run of a batch inside its transaction: claims the keys, then settles every message in
 * order: a message of a quarantined group is dead-lettered, a poison message too, a holder of a
 * claimed key runs its handler, and any other delivery is a duplicate. A dead letter in a FIFO
 * message group quarantines the group for the messages after it.
 *
 * A batch handler's messages are collected and its method called once, after the others: in a
 * run without savepoints any failure rolls everything back, so order cannot matter; with
 * savepoints, only messages without a FIFO message group are collected (the others run alone,
 * in order, since a dead letter among them holds back the rest of their group).
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
  const { settings, startedAt } = scope;
  const { quarantined, holders, claimed, processed } = await claimMessages(scope, prepared, plan.judged);
  const results: (DispatchResult | undefined)[] = [];
  const holderResults = new Map<string, DispatchResult>();
  const collected = new Map<Route, Placed[]>();
  // Later deliveries of keys whose batch handler has not run yet: settled once it has.
  const waiting: Placed[] = [];
  for (const [index, item] of prepared.entries()) {
    const group = item.message.messageGroup;
    const holder = item.kind === 'ready' ? holders.get(item.key) : undefined;
    let result: DispatchResult;
    if (group !== undefined && quarantined.has(group)) {
      // Quarantined by a dead letter earlier in this batch: its claimed key goes back first.
      if (holder === item && claimed.delete(item.key)) {
        await releaseKey(scope.idem, settings.registry.consumerGroup, item.key);
      }
      const error = groupQuarantinedError(item.message);
      await deadLetterIn(settings, scope.idem, item, error);
      result = deadLetteredResult(item, error, startedAt);
    } else if (item.kind === 'poison') {
      await deadLetterIn(settings, scope.idem, item, item.error);
      result = deadLetteredResult(item, item.error, startedAt);
    } else if (holder !== item) {
      const holderResult = holderResults.get(item.key);
      if (holderResult === undefined) waiting.push({ index, item });
      else results[index] = await settleLaterDelivery(scope, item, holderResult, processed);
      continue;
    } else {
      const judgement = plan.judged.get(item);
      if (judgement !== undefined) {
        result = await settleJudgement(settings, scope.idem, item, judgement, startedAt);
      } else if (!claimed.has(item.key)) {
        result = await resolveDuplicate(settings, scope.idem, item, processed.get(item.key), startedAt);
      } else if (joinsBatchCall(plan, item)) {
        trace.handlersRun.push(item);
        collected.set(item.route, [...(collected.get(item.route) ?? []), { index, item }]);
        continue;
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
    results[index] = result;
  }
  for (const [route, placed] of collected) {
    const settled = await runBatchCall(scope, plan, route, placed);
    placed.forEach(({ index, item }, at) => {
      const result = settled[at];
      if (result === undefined) return;
      results[index] = result;
      holderResults.set(item.key, result);
    });
  }
  for (const { index, item } of waiting) {
    results[index] = await settleLaterDelivery(scope, item, holderResults.get(item.key), processed);
  }
  return results.map((result, index) => {
    if (result === undefined) throw new Error(`message ${index} of the batch was left without a result`);
    return result;
  });
}

/** True when the message's handler is a batch handler that takes it with others in this run. */
function joinsBatchCall(plan: PassPlan, item: ReadyMessage): boolean {
  if (item.route.invokeBatch === undefined) return false;
  if (!plan.savepoints) return true;
  return item.message.messageGroup === undefined && !plan.split.has(item.route);
}

/** Calls a batch handler once for the messages collected for it. */
async function runBatchCall(
  scope: HandlerScope,
  plan: PassPlan,
  route: Route,
  placed: readonly Placed[],
): Promise<DispatchResult[]> {
  const items = placed.map(({ item }) => item);
  const { invokeBatch } = route;
  const [first] = placed;
  if (invokeBatch === undefined || first === undefined) return [];
  if (plan.savepoints) {
    if (items.length === 1)
      return [await invokeInSavepoint(scope, first.item, `idem_message_${first.index + 1}`)];
    return await invokeBatchInSavepoint(scope, invokeBatch, items, `idem_batch_${first.index + 1}`);
  }
  await invokeBatchHandler(scope, invokeBatch, items);
  return items.map((item) => processedResult(item, scope.startedAt));
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
