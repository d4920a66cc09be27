import { createHash } from 'node:crypto';
import type { InboundMessage } from '@idem/core';
import type { SdkMessage } from './mq-http-client.js';

/** The transport name the HTTP adapter stamps on every message. */
export const HTTP_TRANSPORT = 'rocketmq-http';

/**
 * Maps a message of the SDK's consume answer to Idem's. Every field arrives as XML text: the
 * consume count and publish time are parsed, an empty tag or sharding key means none, and the
 * `KEYS` property holds several keys separated by spaces, as RocketMQ joins them.
 */
export function toInboundMessage(topic: string, message: SdkMessage): InboundMessage {
  const consumedTimes = Number(message.ConsumedTimes);
  const publishTime = Number(message.PublishTime);
  return {
    topic,
    tag: nonEmpty(message.MessageTag),
    keys: (message.MessageKey ?? '').split(' ').filter((key) => key !== ''),
    messageId: message.MessageId ?? '',
    body: Buffer.from(message.MessageBody ?? '', 'utf8'),
    properties: { ...message.Properties },
    deliveryAttempt: Number.isInteger(consumedTimes) && consumedTimes > 0 ? consumedTimes : 1,
    bornAt:
      message.PublishTime !== undefined && Number.isFinite(publishTime) ? new Date(publishTime) : undefined,
    messageGroup: nonEmpty(message.ShardingKey),
    transport: HTTP_TRANSPORT,
  };
}

/**
 * True when the body matches the MD5 the service computed when the message was stored, or
 * when the answer carries none. The SDK does not check it.
 */
export function bodyMatchesDigest(message: SdkMessage): boolean {
  if (message.MessageBodyMD5 === undefined || message.MessageBodyMD5 === '') return true;
  const actual = createHash('md5')
    .update(message.MessageBody ?? '', 'utf8')
    .digest('hex');
  return actual.toLowerCase() === message.MessageBodyMD5.toLowerCase();
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
