import { sql, type Transaction } from 'kysely';
import { classifyDatabaseError, classifyOwnStatementError } from '../classify-database-error.js';
import type { Route } from '../handler-registry.js';
import type { InboundMessage } from '../message.js';
import { createOutboxSender } from '../outbox/create-outbox-sender.js';
import type { IdemTables } from '../store/idem-tables.js';
import { releaseKey } from '../store/processed-messages-store.js';
import { BatchAborted } from './batch-aborted.js';
import { processedResult } from './build-result.js';
import type { DispatchResult } from './dispatch-result.js';
import type { BatchHandlerContext, BatchMessage, HandlerContext } from './handler-context.js';
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
  /**
   * The transaction as the user built it, for handlers: their plugins apply and their
   * unqualified names resolve as elsewhere in the application.
   */
  readonly trx: Transaction<IdemTables>;
  /**
   * The same transaction without the user's plugins, for Idem's own statements: a plugin that
   * rewrites names or results (kysely's `CamelCasePlugin` turns the `idempotency_key` Idem reads
   * back into `idempotencyKey`) must never change what Idem reads or writes.
   */
  readonly own: Transaction<IdemTables>;
  /**
   * `own` naming Idem's schema, for its typed statements. Read it only where a statement needs
   * it: it is built on first use.
   */
  readonly idem: Transaction<IdemTables>;
  readonly around: AroundHandler | undefined;
  readonly startedAt: number;
}

/** Runs one message's handler in the transaction; a throw becomes a {@link HandlerFailure}. */
export async function invokeHandler(scope: HandlerScope, item: ReadyMessage): Promise<void> {
  const { settings, trx } = scope;
  const ctx: HandlerContext<unknown> = {
    trx: trx as HandlerContext<unknown>['trx'],
    message: item.message,
    idempotencyKey: item.key,
    attempt: item.message.deliveryAttempt,
    consumerGroup: settings.registry.consumerGroup,
    send: sendFor(scope, item),
  };
  const run = () => item.route.invoke(item.body, ctx);
  try {
    await (scope.around === undefined ? run() : scope.around(item.message, run));
  } catch (error) {
    throw new HandlerFailure(error, [item]);
  }
}

/**
 * Runs a batch handler once for all of `items` (messages of its route); a throw becomes a
 * {@link HandlerFailure} of every one of them. It runs outside instrumentation's `around`, which
 * wraps the work of one message.
 */
export async function invokeBatchHandler(
  scope: HandlerScope,
  invokeBatch: NonNullable<Route['invokeBatch']>,
  items: readonly ReadyMessage[],
): Promise<void> {
  const messages: BatchMessage[] = items.map((item) => ({
    body: item.body,
    message: item.message,
    idempotencyKey: item.key,
    send: sendFor(scope, item),
  }));
  const ctx: BatchHandlerContext<unknown> = {
    trx: scope.trx as BatchHandlerContext<unknown>['trx'],
    consumerGroup: scope.settings.registry.consumerGroup,
  };
  try {
    await invokeBatch(messages, ctx);
  } catch (error) {
    throw new HandlerFailure(error, items);
  }
}

/**
 * Runs a batch handler for `items` inside one savepoint. When it fails, the savepoint is rolled
 * back and each message runs alone in a savepoint of its own, so only the one at fault fails.
 */
export async function invokeBatchInSavepoint(
  scope: HandlerScope,
  invokeBatch: NonNullable<Route['invokeBatch']>,
  items: readonly ReadyMessage[],
  savepoint: string,
): Promise<DispatchResult[]> {
  const name = sql.id(savepoint);
  await sql`savepoint ${name}`.execute(scope.trx);
  try {
    await invokeBatchHandler(scope, invokeBatch, items);
    await sql`release savepoint ${name}`.execute(scope.trx);
    return items.map((item) => processedResult(item, scope.startedAt));
  } catch (caught) {
    await rollBackTo(scope, savepoint, caught);
  }
  const results: DispatchResult[] = [];
  for (const [index, item] of items.entries()) {
    results.push(await invokeInSavepoint(scope, item, `${savepoint}_${index + 1}`));
  }
  return results;
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
  const { settings, trx } = scope;
  const name = sql.id(savepoint);
  await sql`savepoint ${name}`.execute(trx);
  try {
    await invokeHandler(scope, item);
    // RELEASE fails (25P02) when the handler swallowed a failed statement: handled below.
    await sql`release savepoint ${name}`.execute(trx);
    return processedResult(item, scope.startedAt);
  } catch (caught) {
    const handlerError = await rollBackTo(scope, savepoint, caught);
    try {
      await releaseKey(scope.idem, settings.registry.consumerGroup, item.key);
    } catch (releaseError) {
      throw new BatchAborted(classifyOwnStatementError(releaseError, settings.schema));
    }
    return await settleJudgement(
      settings,
      scope.idem,
      item,
      judgeHandlerError(settings, item, handlerError),
      scope.startedAt,
    );
  }
}

/**
 * Rolls back to `savepoint` after a handler's failure and returns the handler's own error; a
 * database failure (the handler's or the rollback's) aborts the whole transaction instead.
 */
async function rollBackTo(scope: HandlerScope, savepoint: string, caught: unknown): Promise<unknown> {
  const handlerError = caught instanceof HandlerFailure ? caught.handlerError : caught;
  const infrastructure = classifyDatabaseError(handlerError);
  if (infrastructure !== undefined) throw new BatchAborted(infrastructure);
  try {
    await sql`rollback to savepoint ${sql.id(savepoint)}`.execute(scope.trx);
  } catch (rollbackError) {
    throw new BatchAborted(classifyOwnStatementError(rollbackError, scope.settings.schema));
  }
  return handlerError;
}

/** `send` for one message: keyed by its own idempotency key, in the dispatch transaction. */
function sendFor(scope: HandlerScope, item: ReadyMessage): HandlerContext['send'] {
  return createOutboxSender(scope.trx, {
    schema: scope.settings.schema,
    consumerGroup: scope.settings.registry.consumerGroup,
    idempotencyKey: item.key,
  });
}
