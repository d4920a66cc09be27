import type { Transaction } from 'kysely';
import {
  classifyDatabaseError,
  classifyMessageDataError,
  classifyOwnStatementError,
  isSwallowedStatementFailure,
} from '../classify-database-error.js';
import type { IdemError } from '../errors.js';
import { silentLogger } from '../logger.js';
import type { InboundMessage } from '../message.js';
import type { IdemTables } from '../store/idem-tables.js';
import { BatchAborted } from './batch-aborted.js';
import { failedResult } from './build-result.js';
import { deadLetterAlone } from './dead-letter-message.js';
import type { DispatchResult } from './dispatch-result.js';
import { HandlerFailure } from './handler-failure.js';
import { judgeHandlerError } from './judge-handler-error.js';
import { logFields } from './log-fields.js';
import { type PoisonMessage, prepareMessage, type ReadyMessage } from './prepare-message.js';
import type { ProcessorSettings } from './processor-settings.js';
import type { AroundHandler, HandlerScope } from './run-handler.js';
import { type PassPlan, type PassTrace, runPass } from './run-pass.js';

/**
 * Handles deliveries in one transaction: their keys are claimed in one statement, each claimed
 * key's handler runs, and everything commits together. `dispatch` is this with one message.
 *
 * Under the `optimistic` strategy the handlers run without savepoints; when one throws, the
 * transaction is rolled back and the batch runs once more with a savepoint per handler, the
 * failed handler's outcome already decided (it does not run again), so a failing handler costs
 * only its own message: its key is given back and it is redelivered (or dead-lettered) while the
 * others commit. Under `savepoints` the batch runs that way from the start.
 *
 * A database failure fails the whole batch as retryable; nothing is half-written. When Postgres
 * refuses one message's data in a statement shared by the batch (the multi-row claim), the
 * rolled-back batch is dispatched again one message at a time, so only that message is
 * dead-lettered. Never rejects; results come back in the order of `messages`.
 *
 * @param around - runs each handler inside instrumentation's context for its message, at most
 *   once per message however often the batch runs.
 */
export async function dispatchMessages(
  settings: ProcessorSettings,
  messages: readonly InboundMessage[],
  around?: AroundHandler,
): Promise<DispatchResult[]> {
  const startedAt = performance.now();
  if (messages.length === 0) return [];
  const prepared = await Promise.all(messages.map((message) => prepareMessage(message, settings.registry)));
  return await dispatchPrepared(settings, prepared, aroundOnce(around), startedAt);
}

async function dispatchPrepared(
  settings: ProcessorSettings,
  prepared: readonly (ReadyMessage | PoisonMessage)[],
  around: AroundHandler | undefined,
  startedAt: number,
): Promise<DispatchResult[]> {
  const first: PassPlan = {
    savepoints: settings.batchStrategy === 'savepoints',
    judged: new Map(),
    split: new Set(),
  };
  const outcome = await runTransaction(settings, prepared, first, around, startedAt);
  if ('results' in outcome) return outcome.results;
  const second = await runTransaction(settings, prepared, outcome.rerun, around, startedAt);
  if ('results' in second) return second.results;
  // A run with savepoints settles every handler failure itself; this cannot happen.
  throw new Error('a batch run with savepoints asked to run again');
}

type PassOutcome = { readonly results: DispatchResult[] } | { readonly rerun: PassPlan };

async function runTransaction(
  settings: ProcessorSettings,
  prepared: readonly (ReadyMessage | PoisonMessage)[],
  plan: PassPlan,
  around: AroundHandler | undefined,
  startedAt: number,
): Promise<PassOutcome> {
  // Every message is a handler failure decided earlier, which leaves nothing to write.
  const decided = prepared.flatMap((item) => {
    const judgement = item.kind === 'ready' ? plan.judged.get(item) : undefined;
    return judgement?.kind === 'fail' ? [failedResult(item, judgement.error, startedAt)] : [];
  });
  if (decided.length === prepared.length) return { results: decided };
  const trace: PassTrace = { handlersRun: [] };
  try {
    const results = await settings.db.transaction().execute(async (trx) => {
      // Handlers get the transaction as the user built it; Idem's statements run on it without
      // the user's plugins and name Idem's schema (see HandlerScope).
      const own = trx.withoutPlugins();
      let idem: Transaction<IdemTables> | undefined;
      const scope: HandlerScope = {
        settings,
        trx,
        own,
        // Built on first use: most dispatches never run a statement that needs it.
        get idem() {
          idem ??= own.withSchema(settings.schema);
          return idem;
        },
        around,
        startedAt,
      };
      return await runPass(scope, prepared, plan, trace);
    });
    // Logged once committed: a run that rolls back and runs again processed nothing.
    if (settings.logger !== silentLogger) logProcessed(settings, prepared, results);
    return { results };
  } catch (error) {
    return await afterRollback(settings, prepared, plan, trace, error, around, startedAt);
  }
}

function logProcessed(
  settings: ProcessorSettings,
  prepared: readonly (ReadyMessage | PoisonMessage)[],
  results: readonly DispatchResult[],
): void {
  results.forEach((result, index) => {
    const message = prepared[index]?.message;
    if (result.outcome === 'processed' && message !== undefined) {
      settings.logger.debug(logFields(settings, message, result.key, { outcome: 'processed' }), 'processed');
    }
  });
}

/** Decides what a rolled-back run of the batch leads to: a second run, or the results. */
async function afterRollback(
  settings: ProcessorSettings,
  prepared: readonly (ReadyMessage | PoisonMessage)[],
  plan: PassPlan,
  trace: PassTrace,
  error: unknown,
  around: AroundHandler | undefined,
  startedAt: number,
): Promise<PassOutcome> {
  const failAll = (reason: IdemError) => ({
    results: prepared.map((item) => failedResult(item, reason, startedAt)),
  });
  if (error instanceof BatchAborted) return failAll(error.reason);
  // A handler threw, or one swallowed a failed statement (the next statement or COMMIT says so).
  if (!plan.savepoints && (error instanceof HandlerFailure || isSwallowedStatementFailure(error))) {
    const handlerError = error instanceof HandlerFailure ? error.handlerError : error;
    const infrastructure = classifyDatabaseError(handlerError);
    if (infrastructure !== undefined) return failAll(infrastructure);
    const judged = new Map(plan.judged);
    const culprit = culpritOf(error, trace);
    if (culprit !== undefined) judged.set(culprit, judgeHandlerError(settings, culprit, handlerError));
    // A batch handler that threw fails all its messages: the next run tries them one at a time.
    const split = new Set(plan.split);
    const [firstFailed] = error instanceof HandlerFailure ? error.messages : [];
    if (culprit === undefined && firstFailed !== undefined) split.add(firstFailed.route);
    return { rerun: { savepoints: true, judged, split } };
  }
  // Postgres refused the message's own data in Idem's statements: no attempt can succeed.
  const dataError = classifyMessageDataError(error);
  if (dataError !== undefined) {
    const [only] = prepared;
    if (prepared.length === 1 && only !== undefined) {
      return { results: [await deadLetterAlone(settings, only, dataError, startedAt)] };
    }
    // Nothing committed; one at a time, in order, so FIFO message groups keep their order.
    const results: DispatchResult[] = [];
    for (const item of prepared)
      results.push(...(await dispatchPrepared(settings, [item], around, startedAt)));
    return { results };
  }
  // Claim, duplicate lookup or COMMIT failed: the database is at fault, not the messages.
  return failAll(classifyOwnStatementError(error, settings.schema));
}

/**
 * The message whose handler is to blame for a rolled-back run, when it can be told: the one
 * whose handler threw, unless the throw only reports that the transaction was already aborted
 * (SQLSTATE 25P02, or COMMIT answered ROLLBACK), which an earlier handler may have caused by
 * swallowing a failed statement; then only a handler that ran alone is to blame. Otherwise the
 * savepoints of the second run find it.
 */
function culpritOf(error: unknown, trace: PassTrace): ReadyMessage | undefined {
  const [sole] = trace.handlersRun;
  const onlyOneRan = trace.handlersRun.length === 1 ? sole : undefined;
  if (!(error instanceof HandlerFailure)) return onlyOneRan;
  if (isSwallowedStatementFailure(error.handlerError)) return onlyOneRan;
  return error.messages.length === 1 ? error.messages[0] : undefined;
}

/** `around`, run at most once per message: a second run of the batch keeps the first context. */
function aroundOnce(around: AroundHandler | undefined): AroundHandler | undefined {
  if (around === undefined) return undefined;
  const wrapped = new Set<InboundMessage>();
  return (message, run) => {
    if (wrapped.has(message)) return run();
    wrapped.add(message);
    return around(message, run);
  };
}
