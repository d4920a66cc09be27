import type { Transaction } from 'kysely';
import type { IdemTables } from '../store/idem-tables.js';
import { deadLetteredResult, failedResult } from './build-result.js';
import { deadLetterIn } from './dead-letter-message.js';
import type { DispatchResult } from './dispatch-result.js';
import type { HandlerJudgement } from './judge-handler-error.js';
import { logFields } from './log-fields.js';
import type { ReadyMessage } from './prepare-message.js';
import type { ProcessorSettings } from './processor-settings.js';

/**
 * Turns a failed handler's judgement into its result: a dead letter recorded in `idem`, or a
 * failure left to the broker's redelivery.
 */
export async function settleJudgement(
  settings: ProcessorSettings,
  idem: Transaction<IdemTables>,
  item: ReadyMessage,
  judgement: HandlerJudgement,
  startedAt: number,
): Promise<DispatchResult> {
  if (judgement.kind === 'dead-letter') {
    await deadLetterIn(settings, idem, item, judgement.error);
    return deadLetteredResult(item, judgement.error, startedAt);
  }
  settings.logger.debug(
    logFields(settings, item.message, item.key, { outcome: 'failed' }),
    judgement.error.message,
  );
  return failedResult(item, judgement.error, startedAt);
}
