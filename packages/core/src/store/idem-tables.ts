import type { ColumnType, Generated } from 'kysely';

/**
 * Row type of `processed_keys`: one row per idempotency key and consumer group, in the time
 * slice that was current when it was claimed (migrations 0005, 0006).
 */
export interface ProcessedMessagesTable extends LegacyProcessedMessagesTable {
  slice: ColumnType<number, number | undefined, number>;
}

/** Row type of `processed_message_slices`: one row per slice (partition) of `processed_keys`. */
export interface ProcessedMessageSlicesTable {
  slice: number;
  starts_at: Date;
}

/**
 * Row type of `processed_messages`: keys stored before the upgrade to slices, and the keys that
 * consumers of the version before it claim while a rolling upgrade replaces them (migration 0006).
 */
export interface LegacyProcessedMessagesTable {
  consumer_group: string;
  idempotency_key: string;
  message_id: string;
  topic: string;
  tag: string;
  handler: string;
  payload_hash: Buffer;
  delivery_attempt: number;
  transport: string;
  processed_at: ColumnType<Date, Date | undefined, Date>;
  /** The key's WTF-8 bytes when `idempotency_key` is its `sha256:` digest (migration 0003). */
  original_key: ColumnType<Buffer | null, Buffer | null | undefined, Buffer | null>;
}

/** Row type of `dead_letters`: messages that cannot succeed, with body and reason. */
export interface DeadLettersTable {
  id: Generated<string>;
  consumer_group: string;
  idempotency_key: string;
  message_id: string;
  topic: string;
  tag: string;
  keys: string[];
  properties: ColumnType<Record<string, string>, string, string>;
  body: Buffer;
  message_group: string | null;
  transport: string;
  born_at: Date | null;
  delivery_attempt: number;
  handler: string | null;
  reason: string;
  error_message: string;
  occurrences: Generated<number>;
  first_dead_lettered_at: Generated<Date>;
  last_dead_lettered_at: Generated<Date>;
  resolved_at: Date | null;
  resolution: string | null;
  /**
   * The headers as JSON when a stored column holds a safe form of them (NUL or a lone surrogate
   * replaced), so a replay rebuilds the exact message (migration 0003).
   */
  original_headers: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Row type of `quarantined_groups`: FIFO message groups held back after a dead letter. */
export interface QuarantinedGroupsTable {
  consumer_group: string;
  message_group: string;
  reason: string;
  message_id: string;
  quarantined_at: ColumnType<Date, Date | undefined, Date>;
}

/** Status of an outbox row: waiting for the relay, confirmed by the broker, or refused for good. */
export type OutboxStatus = 'pending' | 'sent' | 'failed';

/** Row type of `outbox`: a message to send once the transaction that wrote it committed. */
export interface OutboxTable {
  id: Generated<string>;
  consumer_group: string | null;
  source_key: string | null;
  topic: string;
  tag: string | null;
  keys: string[];
  body: Buffer;
  properties: ColumnType<Record<string, string>, string, string>;
  message_group: string | null;
  deliver_at: Date | null;
  created_at: Generated<Date>;
  status: Generated<OutboxStatus>;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  last_error: string | null;
  message_id: string | null;
  sent_at: Date | null;
}

/** Idem's tables, as kysely sees them inside the configured schema. */
export interface IdemTables {
  processed_keys: ProcessedMessagesTable;
  processed_messages: LegacyProcessedMessagesTable;
  processed_message_slices: ProcessedMessageSlicesTable;
  dead_letters: DeadLettersTable;
  quarantined_groups: QuarantinedGroupsTable;
  outbox: OutboxTable;
}
