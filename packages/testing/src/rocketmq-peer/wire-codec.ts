import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { Delivery } from './broker-model.js';
import type { NewMessage, StoredMessageType } from './stored-message.js';
import {
  type CodeValue,
  MessageType,
  type WireDuration,
  type WireEndpoints,
  type WireMessage,
  type WireMessageQueue,
  type WireStatus,
  type WireTimestamp,
} from './wire-types.js';

/** Permission READ_WRITE of `apache.rocketmq.v2.Permission`. */
const READ_WRITE = 4;
/** Digest type MD5, what the Apache proxy sends. */
const MD5 = 2;
/** Body encoding IDENTITY. */
const IDENTITY = 1;

/** A `Status` with the given code. */
export function wireStatus(code: CodeValue, message = ''): WireStatus {
  return { code, message };
}

/** Milliseconds of a Duration (or Timestamp); undefined when absent. */
export function durationToMs(duration: WireDuration | null | undefined): number | undefined {
  if (duration === null || duration === undefined) return undefined;
  return duration.seconds * 1000 + Math.floor(duration.nanos / 1_000_000);
}

/** A Duration of whole milliseconds. */
export function msToDuration(ms: number): WireDuration {
  const whole = Math.max(0, Math.floor(ms));
  return { seconds: Math.floor(whole / 1000), nanos: (whole % 1000) * 1_000_000 };
}

/** A Timestamp of epoch milliseconds. */
export const msToTimestamp: (epochMs: number) => WireTimestamp = msToDuration;

/** The peer's own address in the shape clients route to (IPv4, IPv6 or domain name). */
export function wireEndpoints(host: string, port: number): WireEndpoints {
  const scheme = isIPv4(host) ? 1 : isIPv6(host) ? 2 : 3;
  return { scheme, addresses: [{ host, port }] };
}

/**
 * The topic's only queue. Its id is 0 because the 1.0.8 load balancers keep only queues whose
 * id equals the master broker id 0 (`SubscriptionLoadBalancer` and `PublishingLoadBalancer`
 * compare `queueId` with `MASTER_BROKER_ID`; apache/rocketmq-clients #1093); it accepts every message type because the
 * producer validates the type against this list.
 */
export function wireMessageQueue(topic: string, endpoints: WireEndpoints): WireMessageQueue {
  return {
    topic: { name: topic, resourceNamespace: '' },
    id: 0,
    permission: READ_WRITE,
    broker: { name: 'idem-peer', id: 0, endpoints },
    acceptMessageTypes: [MessageType.NORMAL, MessageType.FIFO, MessageType.DELAY, MessageType.TRANSACTION],
  };
}

const TYPE_TO_WIRE: Readonly<Record<StoredMessageType, number>> = {
  normal: MessageType.NORMAL,
  fifo: MessageType.FIFO,
  delay: MessageType.DELAY,
  transaction: MessageType.TRANSACTION,
};

/** The message type a stored message had on the wire, or what its fields imply. */
export function messageTypeOf(
  wireType: number,
  messageGroup: string | undefined,
  deliverAt: number | undefined,
): StoredMessageType {
  const known = (Object.keys(TYPE_TO_WIRE) as StoredMessageType[]).find(
    (key) => TYPE_TO_WIRE[key] === wireType,
  );
  if (known !== undefined) return known;
  if (messageGroup !== undefined) return 'fifo';
  return deliverAt === undefined ? 'normal' : 'delay';
}

/** A SendMessage entry as the model stores it; the producer's message id is kept. */
export function fromWireMessage(message: WireMessage, now: number): NewMessage {
  const system = message.systemProperties;
  const messageGroup = nonEmpty(system?.messageGroup);
  const deliverAt = timestampToMs(system?.deliveryTimestamp);
  return {
    messageId: system?.messageId ?? '',
    body: Buffer.from(message.body),
    tag: nonEmpty(system?.tag),
    keys: [...(system?.keys ?? [])],
    properties: { ...message.userProperties },
    messageGroup,
    messageType: messageTypeOf(system?.messageType ?? 0, messageGroup, deliverAt),
    bornAt: timestampToMs(system?.bornTimestamp) ?? now,
    bornHost: system?.bornHost ?? '',
    deliverAt,
  };
}

/**
 * A delivery as the Apache proxy sends it: MD5 body digest (upper-case hex; the client checks
 * it and a missing one poisons the batch), a receipt handle unique to this delivery, and
 * `delivery_attempt` of at least 1 (with a backoff policy set, a nack
 * hits `assert(attempt > 0)` in an unhandled rejection that kills the client's process).
 */
export function toWireMessage(delivery: Delivery, storeHost: string): WireMessage {
  const { message } = delivery;
  return {
    topic: { name: message.topic, resourceNamespace: '' },
    userProperties: message.properties,
    body: message.body,
    systemProperties: {
      ...(message.tag === undefined ? {} : { tag: message.tag }),
      keys: message.keys,
      messageId: message.messageId,
      bodyDigest: { type: MD5, checksum: createHash('md5').update(message.body).digest('hex').toUpperCase() },
      bodyEncoding: IDENTITY,
      messageType: TYPE_TO_WIRE[message.messageType],
      bornTimestamp: msToTimestamp(message.bornAt),
      bornHost: message.bornHost,
      storeTimestamp: msToTimestamp(message.storedAt),
      storeHost,
      ...(message.deliverAt === undefined ? {} : { deliveryTimestamp: msToTimestamp(message.deliverAt) }),
      receiptHandle: delivery.receiptHandle,
      queueId: 0,
      queueOffset: message.offset,
      invisibleDuration: msToDuration(delivery.invisibleMs),
      deliveryAttempt: delivery.attempt,
      ...(message.messageGroup === undefined ? {} : { messageGroup: message.messageGroup }),
    },
  };
}

function timestampToMs(timestamp: WireTimestamp | null | undefined): number | undefined {
  return durationToMs(timestamp);
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
