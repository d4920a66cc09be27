import type { InboundMessage } from '../../src/message.js';
import type { Processor } from '../../src/processor/create-processor.js';
import type { DispatchResult } from '../../src/processor/dispatch-result.js';

/** The two ways a consumer hands deliveries to the processor; shared suites run over both. */
export const DISPATCH_MODES = ['single', 'batch'] as const;
export type TestDispatchMode = (typeof DISPATCH_MODES)[number];

/** The two ways a batch isolates a failing handler; batch suites run over both. */
export const BATCH_STRATEGIES = ['optimistic', 'savepoints'] as const;

/**
 * Hands `messages` to the processor in order: in `single` mode one `dispatch` after the other,
 * in `batch` mode as one `dispatchBatch`. One result per message, in order.
 */
export async function dispatchIn(
  mode: TestDispatchMode,
  processor: Processor,
  messages: readonly InboundMessage[],
): Promise<DispatchResult[]> {
  if (mode === 'batch') return await processor.dispatchBatch(messages);
  const results: DispatchResult[] = [];
  for (const message of messages) results.push(await processor.dispatch(message));
  return results;
}

/** Dispatches one message in `mode` (a batch of one in `batch` mode). */
export async function dispatchOneIn(
  mode: TestDispatchMode,
  processor: Processor,
  message: InboundMessage,
): Promise<DispatchResult> {
  const [result] = await dispatchIn(mode, processor, [message]);
  if (result === undefined) throw new Error('the processor returned no result');
  return result;
}
