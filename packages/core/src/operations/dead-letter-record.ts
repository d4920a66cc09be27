import type { InboundMessage } from '../message.js';
import type { StoredHeaders } from '../store/dead-letters-store.js';

/** What happened to a dead letter that is no longer open. */
export type DeadLetterResolution = 'replayed' | 'purged' | 'superseded';

/** A dead letter without its body, as listed. */
export interface DeadLetterSummary {
  /** The row id (a bigint, as a string). */
  readonly id: string;
  readonly consumerGroup: string;
  readonly idempotencyKey: string;
  readonly messageId: string;
  readonly topic: string;
  /** `undefined` when the message had no tag. */
  readonly tag: string | undefined;
  readonly keys: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
  readonly messageGroup: string | undefined;
  readonly transport: string;
  readonly bornAt: Date | undefined;
  readonly deliveryAttempt: number;
  /** `ClassName.method` of the handler, when one was found. */
  readonly handler: string | undefined;
  /** The {@link IdemErrorCode} it was dead-lettered for, e.g. `BODY_DECODE_FAILED`. */
  readonly reason: string;
  readonly errorMessage: string;
  /** How often it was dead-lettered while open (redeliveries of a poison message). */
  readonly occurrences: number;
  readonly firstDeadLetteredAt: Date;
  readonly lastDeadLetteredAt: Date;
  /** `undefined` while open. */
  readonly resolvedAt: Date | undefined;
  readonly resolution: DeadLetterResolution | undefined;
  readonly bodyBytes: number;
}

/** A dead letter with its body: everything needed to inspect or replay the message. */
export interface DeadLetter extends DeadLetterSummary {
  readonly body: Buffer;
  /**
   * The exact headers as JSON, present when a header held NUL or a lone surrogate and the
   * listed fields show its safe form instead.
   */
  readonly originalHeaders?: string;
}

/** The columns of a dead letter as node-postgres returns them. */
export interface DeadLetterRow {
  id: string;
  consumer_group: string;
  idempotency_key: string;
  message_id: string;
  topic: string;
  tag: string;
  keys: string[];
  properties: Record<string, string>;
  message_group: string | null;
  transport: string;
  born_at: Date | null;
  delivery_attempt: number;
  handler: string | null;
  reason: string;
  error_message: string;
  occurrences: number;
  first_dead_lettered_at: Date;
  last_dead_lettered_at: Date;
  resolved_at: Date | null;
  resolution: string | null;
  body_bytes: number;
  body?: Buffer;
}

/** Maps a row to the public shape. */
export function toDeadLetterSummary(row: DeadLetterRow): DeadLetterSummary {
  return {
    id: String(row.id),
    consumerGroup: row.consumer_group,
    idempotencyKey: row.idempotency_key,
    messageId: row.message_id,
    topic: row.topic,
    tag: row.tag === '' ? undefined : row.tag,
    keys: row.keys,
    properties: row.properties,
    messageGroup: row.message_group ?? undefined,
    transport: row.transport,
    bornAt: row.born_at ?? undefined,
    deliveryAttempt: row.delivery_attempt,
    handler: row.handler ?? undefined,
    reason: row.reason,
    errorMessage: row.error_message,
    occurrences: row.occurrences,
    firstDeadLetteredAt: row.first_dead_lettered_at,
    lastDeadLetteredAt: row.last_dead_lettered_at,
    resolvedAt: row.resolved_at ?? undefined,
    resolution: (row.resolution ?? undefined) as DeadLetterResolution | undefined,
    bodyBytes: Number(row.body_bytes),
  };
}

/**
 * Rebuilds the delivery a dead letter was stored from, as a first delivery (attempt 1): the
 * same topic, tag, keys, message id, body, properties and message group, so the processor
 * routes and keys it exactly as before.
 */
export function deadLetterToMessage(deadLetter: DeadLetter): InboundMessage {
  const message: InboundMessage = {
    topic: deadLetter.topic,
    tag: deadLetter.tag,
    keys: deadLetter.keys,
    messageId: deadLetter.messageId,
    body: deadLetter.body,
    properties: deadLetter.properties,
    deliveryAttempt: 1,
    bornAt: deadLetter.bornAt,
    messageGroup: deadLetter.messageGroup,
    transport: deadLetter.transport,
  };
  if (deadLetter.originalHeaders === undefined) return message;
  // The listed headers are safe forms; the exact ones route and key the replay as before.
  const exact = JSON.parse(deadLetter.originalHeaders) as StoredHeaders;
  return {
    ...message,
    topic: exact.topic,
    tag: exact.tag ?? undefined,
    keys: exact.keys,
    messageId: exact.messageId,
    properties: exact.properties,
    messageGroup: exact.messageGroup ?? undefined,
  };
}
