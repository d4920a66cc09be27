import {
  classifyMessageDataError,
  classifyOwnStatementError,
  isSwallowedStatementFailure,
} from './classify-database-error.js';
import type { DispatchResult } from './dispatch-result.js';
import type { HandlerContext } from './handler-context.js';
import type { InboundMessage } from './message.js';
import { createOutboxSender } from './outbox/create-outbox-sender.js';
import { prepareMessage } from './prepare-message.js';
import {
  deadLetterAlone,
  deadLetteredResult,
  deadLetterIn,
  failedResult,
  HandlerFailure,
  judgeHandlerError,
  logFields,
  type ProcessorRuntime,
  quarantinedError,
  resultBase,
} from './processor-runtime.js';
import { resolveDuplicate } from './resolve-duplicate.js';
import { claimKeys, findProcessed, setLockTimeout } from './store/processed-messages-store.js';
import { findQuarantinedGroups } from './store/quarantine-store.js';

/**
 * Handles one delivery in one transaction: claim the key, run the handler, commit. Never
 * rejects; every failure becomes a result.
 */
export async function dispatchOne(
  runtime: ProcessorRuntime,
  message: InboundMessage,
): Promise<DispatchResult> {
  const startedAt = performance.now();
  const prepared = await prepareMessage(message, runtime.registry);
  if (prepared.kind === 'poison') return await deadLetterAlone(runtime, prepared, prepared.error, startedAt);

  const group = runtime.registry.consumerGroup;
  try {
    return await runtime.db.transaction().execute(async (trx) => {
      // Idem's statements name its schema; the handler's transaction is left as the user built
      // it, so its unqualified table names resolve as everywhere else in the application.
      const idem = trx.withSchema(runtime.schema);
      await setLockTimeout(idem, runtime.lockTimeoutMs);
      const { messageGroup } = message;
      if (messageGroup !== undefined && (await findQuarantinedGroups(idem, group, [messageGroup])).size > 0) {
        const error = quarantinedError(message);
        await deadLetterIn(runtime, idem, prepared, error);
        return deadLetteredResult(prepared, error, startedAt);
      }
      const claimed = await claimKeys(idem, { schema: runtime.schema, consumerGroup: group }, [
        {
          idempotencyKey: prepared.key,
          originalKey: prepared.originalKey,
          messageId: message.messageId,
          topic: message.topic,
          tag: message.tag ?? '',
          handler: prepared.route.handlerName,
          payloadHash: prepared.payloadHash,
          deliveryAttempt: message.deliveryAttempt,
          transport: message.transport,
        },
      ]);
      if (!claimed.has(prepared.key)) {
        const existing = await findProcessed(idem, group, [prepared.key]);
        return await resolveDuplicate(runtime, idem, prepared, existing.get(prepared.key), startedAt);
      }
      const ctx: HandlerContext<unknown> = {
        trx: trx as HandlerContext<unknown>['trx'],
        message,
        idempotencyKey: prepared.key,
        attempt: message.deliveryAttempt,
        consumerGroup: group,
        send: createOutboxSender(trx, {
          schema: runtime.schema,
          consumerGroup: group,
          idempotencyKey: prepared.key,
        }),
      };
      try {
        await prepared.route.invoke(prepared.body, ctx);
      } catch (error) {
        throw new HandlerFailure(error);
      }
      runtime.logger.debug(logFields(runtime, message, prepared.key, { outcome: 'processed' }), 'processed');
      return { outcome: 'processed', ...resultBase(prepared, startedAt) } as const;
    });
  } catch (error) {
    // COMMIT answered with ROLLBACK: the handler swallowed a failed statement; its fault.
    const handlerError = error instanceof HandlerFailure ? error.handlerError : error;
    if (!(error instanceof HandlerFailure) && !isSwallowedStatementFailure(error)) {
      // Postgres refused the message's own data in Idem's statements: no attempt can succeed.
      const dataError = classifyMessageDataError(error);
      if (dataError !== undefined) return await deadLetterAlone(runtime, prepared, dataError, startedAt);
      // Claim, duplicate lookup or COMMIT failed: the database is at fault, not the message.
      return failedResult(prepared, classifyOwnStatementError(error, runtime.schema), startedAt);
    }
    const judged = judgeHandlerError(runtime, prepared, handlerError);
    if (judged.kind === 'dead-letter')
      return await deadLetterAlone(runtime, prepared, judged.error, startedAt);
    runtime.logger.debug(
      logFields(runtime, message, prepared.key, { outcome: 'failed' }),
      judged.error.message,
    );
    return failedResult(prepared, judged.error, startedAt);
  }
}
