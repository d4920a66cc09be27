/**
 * Every error code Idem raises or reports. Codes are stable: branch on them, not on messages.
 *
 * - Configuration (thrown at startup): `INVALID_CONFIGURATION`, `INVALID_HANDLER`,
 *   `DUPLICATE_ROUTE`, `CONSUMER_GROUP_MISSING`, `CONSUMER_GROUP_CONFLICT`.
 * - Message faults (the message itself is at fault; dead-lettered, never retried):
 *   `NO_HANDLER`, `BODY_DECODE_FAILED`, `SCHEMA_VALIDATION_FAILED`, `INVALID_IDEMPOTENCY_KEY`,
 *   `PAYLOAD_MISMATCH`, `HANDLER_REJECTED`, `GROUP_QUARANTINED` (its FIFO message group is
 *   quarantined after an earlier dead letter), `MESSAGE_DATA_REJECTED` (Postgres refused the
 *   message's own data: a data exception or a program limit; retrying cannot fix it).
 * - Handler faults: `HANDLER_FAILED` (redelivered), `ATTEMPTS_EXHAUSTED` (dead-lettered).
 * - Infrastructure (retryable; adapters pause instead of burning delivery attempts):
 *   `DATABASE_UNAVAILABLE`, `TRANSACTION_CONFLICT`, `LOCK_TIMEOUT`, `SCHEMA_NOT_MIGRATED`,
 *   `BROKER_UNAVAILABLE`, `ACK_FAILED`.
 * - Outbox and producers: `SEND_FAILED` (the broker did not confirm a send in time; retryable),
 *   `MESSAGE_REJECTED` (the broker refused the message: unknown topic, too large, credentials
 *   refused; not retryable until someone changes something).
 * - Operations: `MIGRATION_FAILED`, `STARTUP_FAILED`, `SHUTDOWN_TIMEOUT`, `INTERNAL_ERROR`,
 *   `PERMISSION_DENIED` (the database role lacks a privilege an operation needs; retryable only
 *   when a consumer met it, which pauses until the privilege is granted).
 */
export type IdemErrorCode =
  | 'INVALID_CONFIGURATION'
  | 'INVALID_HANDLER'
  | 'DUPLICATE_ROUTE'
  | 'CONSUMER_GROUP_MISSING'
  | 'CONSUMER_GROUP_CONFLICT'
  | 'NO_HANDLER'
  | 'BODY_DECODE_FAILED'
  | 'SCHEMA_VALIDATION_FAILED'
  | 'INVALID_IDEMPOTENCY_KEY'
  | 'PAYLOAD_MISMATCH'
  | 'HANDLER_REJECTED'
  | 'GROUP_QUARANTINED'
  | 'MESSAGE_DATA_REJECTED'
  | 'HANDLER_FAILED'
  | 'ATTEMPTS_EXHAUSTED'
  | 'DATABASE_UNAVAILABLE'
  | 'TRANSACTION_CONFLICT'
  | 'LOCK_TIMEOUT'
  | 'SCHEMA_NOT_MIGRATED'
  | 'BROKER_UNAVAILABLE'
  | 'ACK_FAILED'
  | 'SEND_FAILED'
  | 'MESSAGE_REJECTED'
  | 'MIGRATION_FAILED'
  | 'STARTUP_FAILED'
  | 'SHUTDOWN_TIMEOUT'
  | 'INTERNAL_ERROR'
  | 'PERMISSION_DENIED';

/** Options of {@link IdemError}. */
export interface IdemErrorOptions {
  /** True when trying again later may succeed without anyone changing anything. */
  readonly retryable?: boolean;
  readonly cause?: unknown;
}

/**
 * The one error class of Idem: a stable `code`, a `retryable` flag and the original `cause`.
 *
 * Messages say what is wrong and how to fix it; they never contain credentials.
 */
export class IdemError extends Error {
  override readonly name: string = 'IdemError';
  readonly code: IdemErrorCode;
  readonly retryable: boolean;

  constructor(code: IdemErrorCode, message: string, options: IdemErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/**
 * Thrown by a handler to dead-letter its message at once, without further attempts: the
 * message can never succeed (an unknown customer, a rule it breaks).
 *
 * @example
 * ```ts
 * if (!customer) throw new DeadLetterError(`customer ${order.customerId} does not exist`);
 * ```
 */
export class DeadLetterError extends Error {
  override readonly name: string = 'DeadLetterError';
}

/** Turns any thrown value into an `Error`, keeping the value as `cause` when it was not one. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : `non-error value thrown: ${safeString(value)}`, {
    cause: value,
  });
}

function safeString(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
