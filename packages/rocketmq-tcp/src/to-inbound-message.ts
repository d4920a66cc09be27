import type { InboundMessage } from '@idem/core';
import type { MessageView } from 'rocketmq-client-nodejs';

/** The transport id the TCP adapter stamps on every message: its package's name (before 0.2, `rocketmq-grpc`). */
export const TCP_TRANSPORT = 'rocketmq-tcp';

/**
 * Maps the client's message to Idem's. The client reads an unset tag or message group as `''`,
 * and a missing delivery attempt as `undefined`; both are normalised here.
 */
export function toInboundMessage(view: MessageView): InboundMessage {
  return {
    topic: view.topic,
    tag: view.tag === undefined || view.tag === '' ? undefined : view.tag,
    keys: [...view.keys],
    messageId: view.messageId,
    body: view.body,
    properties: Object.fromEntries(view.properties),
    deliveryAttempt:
      view.deliveryAttempt !== undefined && view.deliveryAttempt > 0 ? view.deliveryAttempt : 1,
    bornAt: view.bornTimestamp,
    messageGroup: view.messageGroup === undefined || view.messageGroup === '' ? undefined : view.messageGroup,
    transport: TCP_TRANSPORT,
  };
}
