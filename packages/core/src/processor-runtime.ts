import type { Kysely, Transaction } from 'kysely';
import {
  classifyDatabaseError,
  classifyMessageDataError,
  classifyOwnStatementError,
  isSwallowedStatementFailure,
} from './classify-database-error.js';
import { recordDeadLetter } from './dead-letters/record-dead-letter.js';
import type { DeadLetteredResult, DispatchResult, FailedResult } from './dispatch-result.js';
import { DeadLetterError, IdemError, toError } from './errors.js';
import type { HandlerRegistry } from './handler-registry.js';
import type { Logger } from './logger.js';
import type { InboundMessage } from './message.js';
import type { PoisonMessage, ReadyMessage } from './prepare-message.js';
import type { IdemTables } from './store/idem-tables.js';
import { quarantineGroup } from './store/quarantine-store.js';

/** What a payload mismatch (same key, different body) does. */
export type PayloadMismatchPolicy = 'dead-letter' | 'ignore';

/**
 * What a dead letter in a FIFO message group does to the group's later messages: `quarantine`
 * parks them until an operator releases the group (order kept), `continue` processes them
 * (RocketMQ's own behaviour: order broken around the dead letter).
 */
export type MessageGroupDeadLetterPolicy = 'quarantine' | 'continue';

/** The resolved settings and collaborators shared by single and batch dispatch. */
export interface ProcessorRuntime {
  /** The user's database, unscoped: Idem's statements add `withSchema(schema)` themselves. */
  readonly db: Kysely<IdemTables>;
  readonly schema: string;
  readonly registry: HandlerRegistry;
  readonly lockTimeoutMs: number;
  readonly maxAttempts: number;
  readonly onPayloadMismatch: PayloadMismatchPolicy;
  readonly onMessageGroupDeadLetter: MessageGroupDeadLetterPolicy;
  readonly logger: Logger;
}

/**
 * Thrown inside the transaction to carry a handler's own error out of kysely's rollback, so it
 * is told apart from a failure of Idem's statements or of COMMIT.
 */
export class HandlerFailure extends Error {
  constructor(readonly handlerError: unknown) {
    super('handler failed');
  }
}

/** Decides what a handler error means once its work was rolled back. */
export function judgeHandlerError(
  runtime: ProcessorRuntime,
  prepared: ReadyMessage,
  handlerError: unknown,
): { readonly kind: 'dead-letter' | 'fail'; readonly error: IdemError } {
  const err = toError(handlerError);
  const { message, route } = prepared;
  if (err instanceof DeadLetterError) {
    return {
      kind: 'dead-letter',
      error: new IdemError(
        'HANDLER_REJECTED',
        `${route.handlerName} rejected message ${message.messageId}: ${err.message}`,
        {
          cause: err,
        },
      ),
    };
  }
  const infrastructure = classifyDatabaseError(err);
  if (infrastructure !== undefined) return { kind: 'fail', error: infrastructure };
  // Postgres refused a value the handler took from the message: every attempt would fail alike.
  const dataError = classifyMessageDataError(err);
  if (dataError !== undefined) {
    return {
      kind: 'dead-letter',
      error: new IdemError(
        'MESSAGE_DATA_REJECTED',
        `${route.handlerName} failed for message ${message.messageId}: ${dataError.message}`,
        { cause: err },
      ),
    };
  }
  const detail = isSwallowedStatementFailure(err)
    ? 'one of its statements failed and it went on without rethrowing; let database errors propagate'
    : err.message;
  if (message.deliveryAttempt >= runtime.maxAttempts) {
    return {
      kind: 'dead-letter',
      error: new IdemError(
        'ATTEMPTS_EXHAUSTED',
        `${route.handlerName} failed on attempt ${message.deliveryAttempt} of ${runtime.maxAttempts} for message ${message.messageId}: ${detail}`,
        { cause: err },
      ),
    };
  }
  return {
    kind: 'fail',
    error: new IdemError(
      'HANDLER_FAILED',
      `${route.handlerName} failed on attempt ${message.deliveryAttempt} for message ${message.messageId}: ${detail}`,
      { cause: err },
    ),
  };
}

/** A `failed` result. */
export function failedResult(
  prepared: ReadyMessage | PoisonMessage,
  error: IdemError,
  startedAt: number,
): FailedResult {
  return { outcome: 'failed', ...resultBase(prepared, startedAt), error, retryable: error.retryable };
}

/** A `dead-lettered` result. */
export function deadLetteredResult(
  prepared: ReadyMessage | PoisonMessage,
  error: IdemError,
  startedAt: number,
): DeadLetteredResult {
  return { outcome: 'dead-lettered', ...resultBase(prepared, startedAt), error };
}

/** The fields every result of `prepared` shares. */
export function resultBase(
  prepared: ReadyMessage | PoisonMessage,
  startedAt: number,
): Pick<DispatchResult, 'key' | 'messageId' | 'handler' | 'durationMs'> {
  return {
    key: prepared.key,
    messageId: prepared.message.messageId,
    handler: prepared.route?.handlerName,
    durationMs: elapsed(startedAt),
  };
}

/** Records a dead letter inside `trx` and logs it. */
export async function deadLetterIn(
  runtime: ProcessorRuntime,
  trx: Transaction<IdemTables>,
  prepared: ReadyMessage | PoisonMessage,
  error: IdemError,
): Promise<void> {
  await recordDeadLetter(trx, {
    consumerGroup: runtime.registry.consumerGroup,
    idempotencyKey: prepared.key,
    message: prepared.message,
    handler: prepared.route?.handlerName,
    error,
  });
  const { messageGroup } = prepared.message;
  if (
    messageGroup !== undefined &&
    error.code !== 'GROUP_QUARANTINED' &&
    runtime.onMessageGroupDeadLetter === 'quarantine'
  ) {
    await quarantineGroup(trx, {
      consumerGroup: runtime.registry.consumerGroup,
      messageGroup,
      reason: error.code,
      messageId: prepared.message.messageId,
    });
  }
  runtime.logger.warn(
    logFields(runtime, prepared.message, prepared.key, { reason: error.code }),
    error.message,
  );
}

/**
 * Dead-letters a message in a transaction of its own. When even that cannot be written the
 * message is not acked: the result is a failure and the broker redelivers (retryable when the
 * database is at fault; not retryable when Postgres refused the message's data, so consumption
 * never pauses for one message).
 */
export async function deadLetterAlone(
  runtime: ProcessorRuntime,
  prepared: ReadyMessage | PoisonMessage,
  error: IdemError,
  startedAt: number,
): Promise<DispatchResult> {
  try {
    await runtime.db
      .transaction()
      .execute(async (trx) => await deadLetterIn(runtime, trx.withSchema(runtime.schema), prepared, error));
    return deadLetteredResult(prepared, error, startedAt);
  } catch (writeError) {
    const reason =
      classifyMessageDataError(writeError) ?? classifyOwnStatementError(writeError, runtime.schema);
    return failedResult(prepared, reason, startedAt);
  }
}

/** Structured log fields for one message. */
export function logFields(
  runtime: ProcessorRuntime,
  message: InboundMessage,
  key: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    consumerGroup: runtime.registry.consumerGroup,
    topic: message.topic,
    messageId: message.messageId,
    key,
    attempt: message.deliveryAttempt,
    ...extra,
  };
}

function elapsed(startedAt: number): number {
  return performance.now() - startedAt;
}

/** The dead letter that parks a message behind its quarantined FIFO message group. */
export function quarantinedError(message: InboundMessage): IdemError {
  return new IdemError(
    'GROUP_QUARANTINED',
    `message ${message.messageId} of message group "${message.messageGroup ?? ''}" is parked: an earlier message of the group was dead-lettered; fix and replay it, then \`idem groups release ${message.messageGroup ?? ''}\` processes the parked messages in order`,
  );
}
