import type { Transaction } from 'kysely';
import { classifyMessageDataError, classifyOwnStatementError } from '../classify-database-error.js';
import { recordDeadLetter } from '../dead-letters/record-dead-letter.js';
import type { IdemError } from '../errors.js';
import type { IdemTables } from '../store/idem-tables.js';
import { quarantineGroup } from '../store/quarantine-store.js';
import { deadLetteredResult, failedResult } from './build-result.js';
import type { DispatchResult } from './dispatch-result.js';
import { logFields } from './log-fields.js';
import type { PoisonMessage, ReadyMessage } from './prepare-message.js';
import type { ProcessorSettings } from './processor-settings.js';

/**
 * Records a dead letter inside `trx` and logs it; under `onMessageGroupDeadLetter: 'quarantine'`
 * the message's FIFO message group is quarantined in the same transaction.
 */
export async function deadLetterIn(
  settings: ProcessorSettings,
  trx: Transaction<IdemTables>,
  prepared: ReadyMessage | PoisonMessage,
  error: IdemError,
): Promise<void> {
  await recordDeadLetter(trx, {
    consumerGroup: settings.registry.consumerGroup,
    idempotencyKey: prepared.key,
    message: prepared.message,
    handler: prepared.route?.handlerName,
    error,
  });
  const { messageGroup } = prepared.message;
  if (
    messageGroup !== undefined &&
    error.code !== 'GROUP_QUARANTINED' &&
    settings.onMessageGroupDeadLetter === 'quarantine'
  ) {
    await quarantineGroup(trx, {
      consumerGroup: settings.registry.consumerGroup,
      messageGroup,
      reason: error.code,
      messageId: prepared.message.messageId,
    });
  }
  settings.logger.warn(
    logFields(settings, prepared.message, prepared.key, { reason: error.code }),
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
  settings: ProcessorSettings,
  prepared: ReadyMessage | PoisonMessage,
  error: IdemError,
  startedAt: number,
): Promise<DispatchResult> {
  try {
    await settings.db
      .transaction()
      .execute(async (trx) =>
        deadLetterIn(settings, trx.withoutPlugins().withSchema(settings.schema), prepared, error),
      );
    return deadLetteredResult(prepared, error, startedAt);
  } catch (writeError) {
    const reason =
      classifyMessageDataError(writeError) ?? classifyOwnStatementError(writeError, settings.schema);
    return failedResult(prepared, reason, startedAt);
  }
}
