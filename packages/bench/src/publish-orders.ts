import type { RocketMQPeer } from '@idem/testing';
import { benchOrder } from './bench-database.js';
import { BENCH_TAG } from './effect-handlers.js';

/** Puts `count` bench orders on `topic`, the order id as the message key (Idem's default key). */
export function publishOrders(peer: RocketMQPeer, topic: string, prefix: string, count: number): void {
  for (let index = 0; index < count; index++) {
    const order = benchOrder(prefix, index);
    peer.publish({ topic, tag: BENCH_TAG, keys: [order.id], body: JSON.stringify(order) });
  }
}
