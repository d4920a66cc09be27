/**
 * One delivery of a message, as an adapter hands it to the processor.
 *
 * Adapters map their broker's message onto this shape; the processor knows nothing else about
 * the transport. A redelivery of the same broker message keeps its `messageId` and has a higher
 * `deliveryAttempt`; a producer that re-sends creates a new `messageId` for the same keys.
 */
export interface InboundMessage {
  readonly topic: string;
  /** The message's tag; `undefined` when the producer set none. */
  readonly tag: string | undefined;
  /** The message keys; RocketMQ advises putting the business key here. */
  readonly keys: readonly string[];
  /** The broker's id of the message; kept across redeliveries. */
  readonly messageId: string;
  readonly body: Buffer;
  /** User properties. */
  readonly properties: Readonly<Record<string, string>>;
  /** 1 on the first delivery, incremented by the broker on each redelivery. */
  readonly deliveryAttempt: number;
  /** When the producer created the message, if the transport tells. */
  readonly bornAt: Date | undefined;
  /** The FIFO message group (RocketMQ) or sharding key (ApsaraMQ HTTP), if any. */
  readonly messageGroup: string | undefined;
  /** Which adapter received it, `rocketmq-tcp` or `rocketmq-http`. */
  readonly transport: string;
}
