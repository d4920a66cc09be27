/**
 * A message a handler (or any code holding a transaction) sends to the broker through Idem's
 * outbox: stored in the caller's transaction, so it goes out if and only if that transaction
 * commits.
 */
export interface OutboundMessage {
  readonly topic: string;
  readonly tag?: string;
  /**
   * The message keys. When omitted, `ctx.send` derives one deterministic key from the consumer
   * group, the incoming idempotency key, the topic and the send's position in the handler
   * (`<consumerGroup>/<incomingKey>/<topic>/<n>`), so a downstream Idem consumer keyed on it (the
   * default key) skips any re-send; `sendInTransaction` derives `<idempotencyKey>/<topic>/<n>`.
   */
  readonly keys?: readonly string[];
  /** A Buffer is sent as is, a string as UTF-8, any other value as its JSON. */
  readonly body: Buffer | string | unknown;
  readonly properties?: Readonly<Record<string, string>>;
  /** FIFO message group (RocketMQ) or sharding key (ApsaraMQ HTTP): delivered in commit order. */
  readonly messageGroup?: string;
  /** Delivery time for a delayed message. */
  readonly deliverAt?: Date;
}

/** An outbox row ready for a producer: the body encoded, the keys decided. */
export interface ProducerMessage {
  /** The outbox row's id; stable across re-sends of the same row. */
  readonly id: string;
  readonly topic: string;
  readonly tag: string | undefined;
  readonly keys: readonly string[];
  readonly body: Buffer;
  readonly properties: Readonly<Record<string, string>>;
  readonly messageGroup: string | undefined;
  readonly deliverAt: Date | undefined;
}
