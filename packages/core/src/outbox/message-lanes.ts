import type { ProducerMessage } from './outbound-message.js';

/**
 * Splits a batch into lanes, each a list of positions in `messages`: one lane per message group
 * (its messages in the order given, to be sent one at a time) and one lane per message without a
 * group. Lanes may run concurrently; a lane runs in order.
 */
export function messageLanes(messages: readonly ProducerMessage[]): number[][] {
  const lanes: number[][] = [];
  const groups = new Map<string, number[]>();
  messages.forEach((message, index) => {
    if (message.messageGroup === undefined) {
      lanes.push([index]);
      return;
    }
    let lane = groups.get(message.messageGroup);
    if (lane === undefined) {
      lane = [];
      groups.set(message.messageGroup, lane);
      lanes.push(lane);
    }
    lane.push(index);
  });
  return lanes;
}

/** Runs `run` over every lane with at most `concurrency` lanes at a time. */
export async function runLanes(
  lanes: readonly number[][],
  concurrency: number,
  run: (lane: readonly number[]) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < lanes.length) {
      const lane = lanes[next];
      next += 1;
      if (lane !== undefined) await run(lane);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, lanes.length)) }, worker));
}
