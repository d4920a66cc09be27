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
