import type { Attributes } from '@opentelemetry/api';
import type { InboundMessage } from '../message.js';
import type { DispatchResult } from '../processor/dispatch-result.js';

/**
 * The attributes of a message's consumer span known before it is handled, named after the
 * OpenTelemetry messaging semantic conventions (RocketMQ). Idem's consumers always consume in
 * clustering mode: RocketMQ 5's simple consumer and ApsaraMQ's HTTP consumer know no other.
 */
export function consumerSpanAttributes(message: InboundMessage, consumerGroup: string): Attributes {
  const attributes: Attributes = {
    'messaging.system': 'rocketmq',
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
    'messaging.destination.name': message.topic,
    'messaging.consumer.group.name': consumerGroup,
    'messaging.message.id': message.messageId,
    'messaging.message.body.size': message.body.length,
    'messaging.rocketmq.consumption_model': 'clustering',
    'idem.delivery_attempt': message.deliveryAttempt,
    'idem.transport': message.transport,
  };
  if (message.tag !== undefined) attributes['messaging.rocketmq.message.tag'] = message.tag;
  if (message.keys.length > 0) attributes['messaging.rocketmq.message.keys'] = [...message.keys];
  if (message.messageGroup !== undefined) {
    attributes['messaging.rocketmq.message.group'] = message.messageGroup;
    attributes['messaging.rocketmq.message.type'] = 'fifo';
  }
  return attributes;
}

/** The attributes a message's consumer span gets once its result is known. */
export function resultSpanAttributes(result: DispatchResult): Attributes {
  const attributes: Attributes = {
    'idem.outcome': result.outcome,
    'idem.idempotency_key': result.key,
  };
  if (result.handler !== undefined) attributes['idem.handler'] = result.handler;
  if (result.outcome === 'duplicate') {
    attributes['idem.duplicate_kind'] = result.duplicateKind;
    if (result.payloadMismatch) attributes['idem.payload_mismatch'] = true;
  } else if (result.outcome === 'failed' || result.outcome === 'dead-lettered') {
    attributes['error.type'] = result.error.code;
    if (result.outcome === 'failed') attributes['idem.retryable'] = result.retryable;
  }
  return attributes;
}
