import {
  classifyDatabaseError,
  classifyMessageDataError,
  isSwallowedStatementFailure,
} from '../classify-database-error.js';
import { DeadLetterError, IdemError, toError } from '../errors.js';
import type { ReadyMessage } from './prepare-message.js';
import type { ProcessorSettings } from './processor-settings.js';

/** What a handler's error makes of its message once the handler's work was rolled back. */
export interface HandlerJudgement {
  readonly kind: 'dead-letter' | 'fail';
  readonly error: IdemError;
}

/** Decides what a handler error means once its work was rolled back. */
export function judgeHandlerError(
  settings: ProcessorSettings,
  prepared: ReadyMessage,
  handlerError: unknown,
): HandlerJudgement {
  const err = toError(handlerError);
  const { message, route } = prepared;
  if (err instanceof DeadLetterError) {
    return {
      kind: 'dead-letter',
      error: new IdemError(
        'HANDLER_REJECTED',
        `${route.handlerName} rejected message ${message.messageId}: ${err.message}`,
        { cause: err },
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
  if (message.deliveryAttempt >= settings.maxAttempts) {
    return {
      kind: 'dead-letter',
      error: new IdemError(
        'ATTEMPTS_EXHAUSTED',
        `${route.handlerName} failed on attempt ${message.deliveryAttempt} of ${settings.maxAttempts} for message ${message.messageId}: ${detail}`,
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
