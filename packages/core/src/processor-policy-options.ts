import type { MessageGroupDeadLetterPolicy, PayloadMismatchPolicy } from './processor-runtime.js';

/**
 * The processor options that decide what happens to a message: they must be the same wherever
 * the service's handlers run (its consumers, `idem dead-letters replay`, a Nest module's
 * defaults), so every one of those entry points takes exactly these keys.
 */
export interface ProcessorPolicyOptions {
  /** The Postgres schema of Idem's tables. Default `idem`. */
  readonly schema?: string;
  /**
   * How long a delivery waits for a concurrent delivery of the same key to finish. Keep it well
   * below the broker's invisible duration. Default 5000 ms.
   */
  readonly lockTimeoutMs?: number;
  /**
   * A handler failing on this delivery attempt (or later) dead-letters the message instead of
   * leaving it to redelivery. Default 17: RocketMQ redelivers a failed message 16 times
   * (`maxReconsumeTimes`), so its 17th delivery is its last, and Idem records the dead letter
   * (body and reason, replayable) on that delivery instead of leaving it to the broker's DLQ.
   */
  readonly maxAttempts?: number;
  /** Same key, different body: `dead-letter` (default) or `ignore` (acked as a duplicate, logged). */
  readonly onPayloadMismatch?: PayloadMismatchPolicy;
  /**
   * A dead letter in a FIFO message group: `quarantine` (default) parks the group's later
   * messages until `idem groups release`, keeping the order; `continue` processes them.
   */
  readonly onMessageGroupDeadLetter?: MessageGroupDeadLetterPolicy;
}

// A `Record` over the keys: adding a policy option without listing it here fails the build, so
// a new option cannot silently miss an entry point that forwards policies with this list.
const POLICY_KEYS: Record<keyof ProcessorPolicyOptions, true> = {
  schema: true,
  lockTimeoutMs: true,
  maxAttempts: true,
  onPayloadMismatch: true,
  onMessageGroupDeadLetter: true,
};

/**
 * The {@link ProcessorPolicyOptions} set in `source`, without keys whose value is `undefined`,
 * ready to spread into `createProcessor` options or an adapter's consumer options.
 */
export function pickProcessorPolicy(source: ProcessorPolicyOptions): ProcessorPolicyOptions {
  const picked: Record<string, unknown> = {};
  for (const key of Object.keys(POLICY_KEYS) as (keyof ProcessorPolicyOptions)[]) {
    if (source[key] !== undefined) picked[key] = source[key];
  }
  return picked as ProcessorPolicyOptions;
}
