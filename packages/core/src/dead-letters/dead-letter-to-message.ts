import type { InboundMessage } from '../message.js';
import type { DeadLetter } from './dead-letter.js';
import type { StoredHeaders } from './record-dead-letter.js';

/**
 * Rebuilds the delivery a dead letter was stored from, as a first delivery (attempt 1): the
 * same topic, tag, keys, message id, body, properties and message group, so the processor
 * routes and keys it exactly as before.
 */
export function deadLetterToMessage(deadLetter: DeadLetter): InboundMessage {
  const message: InboundMessage = {
    topic: deadLetter.topic,
    tag: deadLetter.tag,
    keys: deadLetter.keys,
    messageId: deadLetter.messageId,
    body: deadLetter.body,
    properties: deadLetter.properties,
    deliveryAttempt: 1,
    bornAt: deadLetter.bornAt,
    messageGroup: deadLetter.messageGroup,
    transport: deadLetter.transport,
  };
  if (deadLetter.originalHeaders === undefined) return message;
  // The listed headers are safe forms; the exact ones route and key the replay as before.
  const exact = JSON.parse(deadLetter.originalHeaders) as StoredHeaders;
  return {
    ...message,
    topic: exact.topic,
    tag: exact.tag ?? undefined,
    keys: exact.keys,
    messageId: exact.messageId,
    properties: exact.properties,
    messageGroup: exact.messageGroup ?? undefined,
  };
}
