import type { Transaction } from 'kysely';
import { IdemError } from '../errors.js';
import { toStorableText } from '../storable-text.js';
import type { IdemTables } from '../store/idem-tables.js';
import type { ProcessedMessageRecord } from '../store/processed-messages-store.js';
import { deadLetteredResult, resultBase } from './build-result.js';
import { deadLetterIn } from './dead-letter-message.js';
import type { DispatchResult } from './dispatch-result.js';
import { logFields } from './log-fields.js';
import type { ReadyMessage } from './prepare-message.js';
import type { ProcessorSettings } from './processor-settings.js';

/**
 * Turns a delivery whose key was already processed into its result: a `duplicate` (kind told by
 * the message id), or, when the body differs from the processed one and the policy says so, a
 * dead letter recorded in `trx` so an operator sees two different events sharing a key.
 */
export async function resolveDuplicate(
  settings: ProcessorSettings,
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
    if (settings.onPayloadMismatch === 'dead-letter') {
      await deadLetterIn(settings, trx, prepared, error);
      return deadLetteredResult(prepared, error, startedAt);
    }
    settings.logger.warn(logFields(settings, message, prepared.key, { reason: error.code }), error.message);
  }
  settings.logger.debug(
    logFields(settings, message, prepared.key, { outcome: 'duplicate', duplicateKind }),
    'duplicate skipped',
  );
  return { outcome: 'duplicate', ...resultBase(prepared, startedAt), duplicateKind, payloadMismatch };
}
