import type { Transaction } from 'kysely';
import type { DispatchResult } from './dispatch-result.js';
import { IdemError } from './errors.js';
import type { ReadyMessage } from './prepare-message.js';
import {
  deadLetteredResult,
  deadLetterIn,
  logFields,
  type ProcessorRuntime,
  resultBase,
} from './processor-runtime.js';
import { toStorableText } from './storable-text.js';
import type { IdemTables } from './store/idem-tables.js';
import type { ProcessedMessageRecord } from './store/processed-messages-store.js';

/**
 * Turns a delivery whose key was already processed into its result: a `duplicate` (kind told by
 * the message id), or, when the body differs from the processed one and the policy says so, a
 * dead letter recorded in `trx` so an operator sees two different events sharing a key.
 */
export async function resolveDuplicate(
  runtime: ProcessorRuntime,
  trx: Transaction<IdemTables>,
  prepared: ReadyMessage,
  existing: ProcessedMessageRecord | undefined,
  startedAt: number,
): Promise<DispatchResult> {
  const { message } = prepared;
  // `existing` is undefined only when the first holder of the key is earlier in the same batch.
  const duplicateKind =
    existing === undefined || existing.messageId === toStorableText(message.messageId)
      ? 'redelivery'
      : 'producer-resend';
  const payloadMismatch = existing !== undefined && !existing.payloadHash.equals(prepared.payloadHash);
  if (payloadMismatch) {
    const error = new IdemError(
      'PAYLOAD_MISMATCH',
      `message ${message.messageId} reuses idempotency key "${prepared.key}" of message ${existing.messageId} with a different body: two different events share a key (check the producer's keys or the handler's key function)`,
    );
    if (runtime.onPayloadMismatch === 'dead-letter') {
      await deadLetterIn(runtime, trx, prepared, error);
      return deadLetteredResult(prepared, error, startedAt);
    }
    runtime.logger.warn(logFields(runtime, message, prepared.key, { reason: error.code }), error.message);
  }
  runtime.logger.debug(
    logFields(runtime, message, prepared.key, { outcome: 'duplicate', duplicateKind }),
    'duplicate skipped',
  );
  return { outcome: 'duplicate', ...resultBase(prepared, startedAt), duplicateKind, payloadMismatch };
}
