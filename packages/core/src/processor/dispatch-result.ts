import type { IdemError } from '../errors.js';

/** What became of one delivery. `processed` and `duplicate` are acked; so is `dead-lettered`. */
export type DispatchOutcome = 'processed' | 'duplicate' | 'failed' | 'dead-lettered';

/**
 * Why a duplicate arrived: `redelivery` (the broker delivered the same message id again: lost
 * ack, upgrade, expired invisibility) or `producer-resend` (a new message id with a key that was
 * already processed: the producer sent the business event twice).
 */
export type DuplicateKind = 'redelivery' | 'producer-resend';

interface DispatchResultBase {
  /** The idempotency key the message was handled under. */
  readonly key: string;
  readonly messageId: string;
  /** `ClassName.method` of the handler, when one was found. */
  readonly handler: string | undefined;
  readonly durationMs: number;
}

/** The handler ran and its writes committed with the key. Ack. */
export interface ProcessedResult extends DispatchResultBase {
  readonly outcome: 'processed';
}

/** The key was already processed; the handler did not run. Ack. */
export interface DuplicateResult extends DispatchResultBase {
  readonly outcome: 'duplicate';
  readonly duplicateKind: DuplicateKind;
  /** The body differs from the one processed under the same key (`onPayloadMismatch: 'ignore'`). */
  readonly payloadMismatch: boolean;
}

/**
 * Nothing was committed. Do not ack: the broker redelivers. When `retryable` is true the
 * database, not the handler, failed: pause consumption instead of burning delivery attempts.
 */
export interface FailedResult extends DispatchResultBase {
  readonly outcome: 'failed';
  readonly error: IdemError;
  readonly retryable: boolean;
}

/** The message was stored in the dead-letter table with its reason (`error.code`). Ack. */
export interface DeadLetteredResult extends DispatchResultBase {
  readonly outcome: 'dead-lettered';
  readonly error: IdemError;
}

/** The outcome of dispatching one delivery; a handler error never makes `dispatch` reject. */
export type DispatchResult = ProcessedResult | DuplicateResult | FailedResult | DeadLetteredResult;

/** True when the adapter should acknowledge the delivery to the broker. */
export function shouldAcknowledge(result: DispatchResult): boolean {
  return result.outcome !== 'failed';
}
