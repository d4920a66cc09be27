import { sql, type Transaction } from 'kysely';
import {
  classifyDatabaseError,
  classifyMessageDataError,
  classifyOwnStatementError,
} from './classify-database-error.js';
import { dispatchOne } from './dispatch-one.js';
import type { DispatchResult } from './dispatch-result.js';
import type { IdemError } from './errors.js';
import type { HandlerContext } from './handler-context.js';
import type { InboundMessage } from './message.js';
import { createOutboxSender } from './outbox/create-outbox-sender.js';
import { type PoisonMessage, prepareMessage, type ReadyMessage } from './prepare-message.js';
import {
  deadLetteredResult,
  deadLetterIn,
  failedResult,
  judgeHandlerError,
  type ProcessorRuntime,
  quarantinedError,
  resultBase,
} from './processor-runtime.js';
import { resolveDuplicate } from './resolve-duplicate.js';
import type { IdemTables } from './store/idem-tables.js';
import { claimKeys, findProcessed, releaseKey, setLockTimeout } from './store/processed-messages-store.js';
import { findQuarantinedGroups } from './store/quarantine-store.js';

/** Raised inside the batch transaction when the database fails: every message is retried. */
class BatchAborted extends Error {
  constructor(readonly reason: IdemError) {
    super(reason.message);
  }
}

/**
 * Handles several deliveries in one transaction: the keys are claimed in one statement and each
 * handler runs inside a savepoint, so a failing handler rolls back only its own message (its key
 * is given back and it is redelivered) while the others commit together.
 *
 * A database failure fails the whole batch as retryable; nothing is half-written. When Postgres
 * refuses one message's data in a statement shared by the batch (the multi-row claim), the
 * rolled-back batch is dispatched again one message at a time, so only that message is
 * dead-lettered. Results come back in the order of `messages`.
 */
export async function dispatchBatch(
  runtime: ProcessorRuntime,
  messages: readonly InboundMessage[],
): Promise<DispatchResult[]> {
  const startedAt = performance.now();
  if (messages.length === 0) return [];
  const prepared = await Promise.all(messages.map((message) => prepareMessage(message, runtime.registry)));
  try {
    return await runtime.db.transaction().execute(async (trx) => {
      // Idem's statements go through `idem`; handlers get the transaction as the user built it.
      const idem = trx.withSchema(runtime.schema);
      await setLockTimeout(idem, runtime.lockTimeoutMs);
      return await processInTransaction(runtime, trx, idem, prepared, startedAt);
    });
  } catch (error) {
    if (!(error instanceof BatchAborted) && classifyMessageDataError(error) !== undefined) {
      // Nothing committed; in order, so FIFO message groups keep their order.
      const results: DispatchResult[] = [];
      for (const message of messages) results.push(await dispatchOne(runtime, message));
      return results;
    }
    const reason =
      error instanceof BatchAborted ? error.reason : classifyOwnStatementError(error, runtime.schema);
    return prepared.map((item) => failedResult(item, reason, startedAt));
  }
}

async function processInTransaction(
  runtime: ProcessorRuntime,
  trx: Transaction<IdemTables>,
  idem: Transaction<IdemTables>,
  prepared: readonly (ReadyMessage | PoisonMessage)[],
  startedAt: number,
): Promise<DispatchResult[]> {
  const group = runtime.registry.consumerGroup;
  const results: DispatchResult[] = [];
  const ready = prepared.filter((item): item is ReadyMessage => item.kind === 'ready');
  const firstByKey = new Map<string, ReadyMessage>();
  for (const item of ready) if (!firstByKey.has(item.key)) firstByKey.set(item.key, item);

  const claimed = await claimKeys(
    idem,
    { schema: runtime.schema, consumerGroup: group },
    [...firstByKey.values()].map(({ key, originalKey, message, route, payloadHash }) => ({
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
  const existing = await findProcessed(
    idem,
    group,
    ready.filter((item) => !claimed.has(item.key)).map((item) => item.key),
  );

  // Message groups whose later messages are parked: quarantined before, or by this batch.
  const parked =
    runtime.onMessageGroupDeadLetter === 'quarantine'
      ? await findQuarantinedGroups(
          idem,
          group,
          prepared.flatMap((item) =>
            item.message.messageGroup === undefined ? [] : [item.message.messageGroup],
          ),
        )
      : new Set<string>();
  // The result of the delivery that held each key claimed in this batch.
  const holderResults = new Map<string, DispatchResult>();
  let index = 0;
  for (const item of prepared) {
    index += 1;
    const messageGroup = item.message.messageGroup;
    if (messageGroup !== undefined && parked.has(messageGroup)) {
      // Parked: its key was claimed above, so give it back before recording the dead letter.
      if (item.kind === 'ready' && claimed.has(item.key) && firstByKey.get(item.key) === item) {
        await releaseKey(idem, group, item.key);
        claimed.delete(item.key);
      }
      const error = quarantinedError(item.message);
      await deadLetterIn(runtime, idem, item, error);
      results.push(deadLetteredResult(item, error, startedAt));
      continue;
    }
    if (item.kind === 'poison') {
      await deadLetterIn(runtime, idem, item, item.error);
      results.push(deadLetteredResult(item, item.error, startedAt));
      parkGroupAfter(runtime, parked, item, deadLetteredResult(item, item.error, startedAt));
    } else if (claimed.has(item.key) && firstByKey.get(item.key) === item) {
      const result = await runInSavepoint(runtime, trx, idem, item, `idem_message_${index}`, startedAt);
      holderResults.set(item.key, result);
      results.push(result);
      parkGroupAfter(runtime, parked, item, result);
    } else {
      const holder = holderResults.get(item.key);
      results.push(
        holder === undefined || holder.outcome === 'processed'
          ? await resolveDuplicate(runtime, idem, item, existing.get(item.key), startedAt)
          : followHolder(holder, item),
      );
    }
  }
  return results;
}

/** Adds the message's group to `parked` when its result dead-lettered it under quarantine. */
function parkGroupAfter(
  runtime: ProcessorRuntime,
  parked: Set<string>,
  item: ReadyMessage | PoisonMessage,
  result: DispatchResult,
): void {
  const { messageGroup } = item.message;
  if (
    messageGroup !== undefined &&
    result.outcome === 'dead-lettered' &&
    runtime.onMessageGroupDeadLetter === 'quarantine'
  ) {
    parked.add(messageGroup);
  }
}

async function runInSavepoint(
  runtime: ProcessorRuntime,
  trx: Transaction<IdemTables>,
  idem: Transaction<IdemTables>,
  item: ReadyMessage,
  savepoint: string,
  startedAt: number,
): Promise<DispatchResult> {
  const group = runtime.registry.consumerGroup;
  const name = sql.id(savepoint);
  await sql`savepoint ${name}`.execute(trx);
  const ctx: HandlerContext<unknown> = {
    trx: trx as HandlerContext<unknown>['trx'],
    message: item.message,
    idempotencyKey: item.key,
    attempt: item.message.deliveryAttempt,
    consumerGroup: group,
    send: createOutboxSender(trx, { schema: runtime.schema, consumerGroup: group, idempotencyKey: item.key }),
  };
  try {
    await item.route.invoke(item.body, ctx);
    // RELEASE fails (25P02) when the handler swallowed a failed statement: handled below.
    await sql`release savepoint ${name}`.execute(trx);
    return { outcome: 'processed', ...resultBase(item, startedAt) };
  } catch (handlerError) {
    const infrastructure = classifyDatabaseError(handlerError);
    if (infrastructure !== undefined) throw new BatchAborted(infrastructure);
    try {
      await sql`rollback to savepoint ${name}`.execute(trx);
      await releaseKey(idem, group, item.key);
    } catch (rollbackError) {
      throw new BatchAborted(classifyOwnStatementError(rollbackError, runtime.schema));
    }
    const judged = judgeHandlerError(runtime, item, handlerError);
    if (judged.kind === 'dead-letter') {
      await deadLetterIn(runtime, idem, item, judged.error);
      return deadLetteredResult(item, judged.error, startedAt);
    }
    return failedResult(item, judged.error, startedAt);
  }
}

/**
 * A second delivery of a key whose first delivery in this batch failed or was dead-lettered
 * shares that fate. Acking it as a duplicate would be wrong: for a broker, acking any delivery of
 * a message consumes the message, and nothing was processed.
 */
function followHolder(holder: DispatchResult, item: ReadyMessage): DispatchResult {
  return { ...holder, messageId: item.message.messageId };
}
