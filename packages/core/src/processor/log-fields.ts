import type { InboundMessage } from '../message.js';
import type { ProcessorSettings } from './processor-settings.js';

/** Structured log fields for one message. */
export function logFields(
  settings: ProcessorSettings,
  message: InboundMessage,
  key: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    consumerGroup: settings.registry.consumerGroup,
    topic: message.topic,
    messageId: message.messageId,
    key,
    attempt: message.deliveryAttempt,
    ...extra,
  };
}
