import type { IdemError } from '../errors.js';
import type { DeadLetteredResult, DispatchResult, FailedResult, ProcessedResult } from './dispatch-result.js';
import type { PoisonMessage, ReadyMessage } from './prepare-message.js';

/** The fields every result of `prepared` shares. */
export function resultBase(
  prepared: ReadyMessage | PoisonMessage,
  startedAt: number,
): Pick<DispatchResult, 'key' | 'messageId' | 'handler' | 'durationMs'> {
  return {
    key: prepared.key,
    messageId: prepared.message.messageId,
    handler: prepared.route?.handlerName,
    durationMs: performance.now() - startedAt,
  };
}

/** A `processed` result. */
export function processedResult(prepared: ReadyMessage, startedAt: number): ProcessedResult {
  return { outcome: 'processed', ...resultBase(prepared, startedAt) };
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
