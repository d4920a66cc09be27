import { randomUUID } from 'node:crypto';
import type { InboundMessage } from '../../src/message.js';

/** A delivery as an adapter would hand it over, with overridable fields. */
export function inboundMessage(overrides: Partial<InboundMessage> & { json?: unknown } = {}): InboundMessage {
  const { json, ...rest } = overrides;
  return {
    topic: 'orders',
    tag: 'created',
    keys: [],
    messageId: randomUUID().replaceAll('-', '').toUpperCase(),
    body: Buffer.from(JSON.stringify(json ?? { orderId: 'o-1', amount: 10 })),
    properties: {},
    deliveryAttempt: 1,
    bornAt: new Date(),
    messageGroup: undefined,
    transport: 'test',
    ...rest,
  };
}

/** The same broker message delivered again: same id, next attempt. */
export function redeliveryOf(message: InboundMessage): InboundMessage {
  return { ...message, deliveryAttempt: message.deliveryAttempt + 1 };
}
