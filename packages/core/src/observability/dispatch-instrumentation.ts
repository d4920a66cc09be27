import type { InboundMessage } from '../message.js';
import type { DispatchResult } from '../processor/dispatch-result.js';

/** What the processor tells an instrumentation about the dispatch it wraps. */
export interface DispatchInfo {
  /** The processor's consumer group (its idempotency scope). */
  readonly consumerGroup: string;
}

/**
 * The processor's one seam for tracing: `around` runs each message's work inside whatever
 * context the instrumentation sets up, so spans the handler starts become children of the
 * message's span; `onResult` then receives the message's final result, exactly once per
 * dispatch of that message.
 *
 * What `around` wraps depends on the dispatch mode:
 * - `dispatch` (single mode): the whole dispatch, from claiming the key to COMMIT.
 * - `dispatchBatch`: each handler run. Messages of the batch that run no handler (duplicates,
 *   poison) get no `around`, only their `onResult`. `around` runs at most once per message: when
 *   a batch is rolled back after a handler failed and runs again with savepoints, a handler that
 *   already ran runs again within the batch's context, not inside a second `around`. A result
 *   reaches `onResult` only after the shared transaction has ended, so a handler that returned
 *   can still end `failed` when the batch's COMMIT fails.
 *
 * Implementations must call `run` exactly once and pass its outcome through unchanged
 * (resolve with its value, reject with its error); `onResult` must not throw.
 */
export interface DispatchInstrumentation {
  around<T>(message: InboundMessage, run: () => Promise<T>, info: DispatchInfo): Promise<T>;
  onResult(result: DispatchResult, message: InboundMessage, info: DispatchInfo): void;
}
