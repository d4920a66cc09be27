/** What a payload mismatch (same key, different body) does. */
export type PayloadMismatchPolicy = 'dead-letter' | 'ignore';

/**
 * What a dead letter in a FIFO message group does to the group's later messages: `quarantine`
 * quarantines the group, so its later messages are dead-lettered in order (reason
 * `GROUP_QUARANTINED`) until an operator releases it; `continue` processes them (RocketMQ's own
 * behaviour: order broken around the dead letter), and never consults the quarantine.
 */
export type MessageGroupDeadLetterPolicy = 'quarantine' | 'continue';

/**
 * How a batch isolates a failing handler from the others.
 *
 * - `optimistic`: the handlers run without savepoints; only when one fails is the transaction
 *   rolled back and the batch run again with a savepoint per handler (the failed handler's
 *   outcome is kept, it does not run twice). The common case costs no savepoint at all.
 * - `savepoints`: every handler runs in a savepoint of its own from the start.
 */
export type BatchStrategy = 'optimistic' | 'savepoints';

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
   * A dead letter in a FIFO message group: `quarantine` (default) quarantines the group, so its
   * later messages wait as dead letters until `idem groups release` replays them in order;
   * `continue` processes them, and ignores quarantines recorded under `quarantine`.
   */
  readonly onMessageGroupDeadLetter?: MessageGroupDeadLetterPolicy;
  /**
   * How `dispatchBatch` keeps a failing handler from failing the rest of its batch. `optimistic`
   * (default): the handlers run with no savepoint each, and only a batch in which one throws is
   * rolled back and run again with a savepoint per handler; `savepoints`: every handler runs in a
   * savepoint from the start, which costs two more round trips per message but never runs a batch
   * twice (worth it only when handlers fail often). Outcomes are the same either way.
   */
  readonly batchStrategy?: BatchStrategy;
}

// A `Record` over the keys: adding a policy option without listing it here fails the build, so
// a new option cannot silently miss an entry point that forwards policies with this list.
const POLICY_KEYS: Record<keyof ProcessorPolicyOptions, true> = {
  schema: true,
  lockTimeoutMs: true,
  maxAttempts: true,
  onPayloadMismatch: true,
  onMessageGroupDeadLetter: true,
  batchStrategy: true,
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
