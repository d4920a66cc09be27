import type { InboundMessage } from '@idem/core';
import { benchOrder } from './bench-database.js';
import { BENCH_TAG } from './effect-handlers.js';

/**
 * Bench order `index` of a run as an adapter would hand it to the processor (for the rows that
 * run the processor with no broker): keyed and identified by the order's id.
 */
export function benchInboundMessage(topic: string, prefix: string, index: number): InboundMessage {
  const order = benchOrder(prefix, index);
  return {
    topic,
    tag: BENCH_TAG,
    keys: [order.id],
    messageId: order.id,
    body: Buffer.from(JSON.stringify(order)),
    properties: {},
    deliveryAttempt: 1,
    bornAt: undefined,
    messageGroup: undefined,
    transport: 'bench',
  };
}
