import { sql, type Transaction } from 'kysely';
import { classifyDatabaseError, classifyOwnStatementError } from '../classify-database-error.js';
import type { InboundMessage } from '../message.js';
import { createOutboxSender } from '../outbox/create-outbox-sender.js';
import type { IdemTables } from '../store/idem-tables.js';
import { releaseKey } from '../store/processed-messages-store.js';
import { BatchAborted } from './batch-aborted.js';
import { processedResult } from './build-result.js';
import type { DispatchResult } from './dispatch-result.js';
import type { HandlerContext } from './handler-context.js';
import { HandlerFailure } from './handler-failure.js';
import { judgeHandlerError } from './judge-handler-error.js';
import type { ReadyMessage } from './prepare-message.js';
import type { ProcessorSettings } from './processor-settings.js';
import { settleJudgement } from './settle-judgement.js';

/** Runs a handler inside whatever context instrumentation sets up for its message. */
export type AroundHandler = <T>(message: InboundMessage, run: () => Promise<T>) => Promise<T>;

/** Where a handler runs: the dispatch transaction, as the user built it and scoped to Idem. */
export interface HandlerScope {
  readonly settings: ProcessorSettings;
  /** The transaction as the user built it: handlers' unqualified names resolve as elsewhere. */
  readonly trx: Transaction<IdemTables>;
  /** The same transaction for Idem's own statements, which name Idem's schema. */
  readonly idem: Transaction<IdemTables>;
  readonly around: AroundHandler | undefined;
  readonly startedAt: number;
}

/** Runs one message's handler in the transaction; a throw becomes a {@link HandlerFailure}. */
export async function invokeHandler(scope: HandlerScope, item: ReadyMessage): Promise<void> {
  const { settings, trx } = scope;
  const consumerGroup = settings.registry.consumerGroup;
  const ctx: HandlerContext<unknown> = {
    trx: trx as HandlerContext<unknown>['trx'],
    message: item.message,
    idempotencyKey: item.key,
    attempt: item.message.deliveryAttempt,
    consumerGroup,
    send: createOutboxSender(trx, { schema: settings.schema, consumerGroup, idempotencyKey: item.key }),
  };
  const run = () => item.route.invoke(item.body, ctx);
  try {
    await (scope.around === undefined ? run() : scope.around(item.message, run));
  } catch (error) {
    throw new HandlerFailure(error, [item]);
  }
}

/**
 * Runs one message's handler inside a savepoint, so its failure rolls back only its own writes
 * and gives its key back; the other messages of the transaction keep theirs.
 */
export async function invokeInSavepoint(
  scope: HandlerScope,
  item: ReadyMessage,
  savepoint: string,
): Promise<DispatchResult> {
  const { settings, trx, idem } = scope;
  const name = sql.id(savepoint);
  await sql`savepoint ${name}`.execute(trx);
  try {
    await invokeHandler(scope, item);
    // RELEASE fails (25P02) when the handler swallowed a failed statement: handled below.
    await sql`release savepoint ${name}`.execute(trx);
    return processedResult(item, scope.startedAt);
  } catch (caught) {
    const handlerError = caught instanceof HandlerFailure ? caught.handlerError : caught;
    const infrastructure = classifyDatabaseError(handlerError);
    if (infrastructure !== undefined) throw new BatchAborted(infrastructure);
    try {
      await sql`rollback to savepoint ${name}`.execute(trx);
      await releaseKey(idem, settings.registry.consumerGroup, item.key);
    } catch (rollbackError) {
      throw new BatchAborted(classifyOwnStatementError(rollbackError, settings.schema));
    }
    return await settleJudgement(
      settings,
      idem,
      item,
      judgeHandlerError(settings, item, handlerError),
      scope.startedAt,
    );
  }
}
