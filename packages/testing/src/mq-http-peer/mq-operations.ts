import type { Delivery } from './broker-model.js';
import { decodeAckRequest, decodePublishRequest } from './decode-request-body.js';
import {
  encodeAckErrors,
  encodeMessages,
  encodePublishResult,
  type WireMessage,
} from './encode-response-body.js';
import { abortableDelay, longPoll } from './long-poll.js';
import { formatMessageProperties } from './message-properties.js';
import { MqServiceError } from './mq-service-error.js';
import type { PeerContext } from './peer-context.js';

/** What to answer: an XML document, an empty 204, or nothing at all (the connection is reset). */
export type MqAnswer =
  | { readonly kind: 'xml'; readonly status: number; readonly xml: string }
  | { readonly kind: 'no-content' }
  | { readonly kind: 'drop' };

/** The resource and query of a request on `/topics/{topic}/messages`. */
export interface MqResource {
  readonly namespace: string;
  readonly topic: string;
  readonly query: URLSearchParams;
}

const MAX_MESSAGES_PER_CONSUME = 16;
const MAX_WAIT_SECONDS = 30;

/** `POST`: stores the message and answers 201 `<Message><MessageId/><MessageBodyMD5/>`. */
export function publishOperation(context: PeerContext, resource: MqResource, body: string): MqAnswer {
  const request = decodePublishRequest(body);
  const message = context.broker.publish({
    namespace: resource.namespace,
    topic: resource.topic,
    body: request.body,
    tag: request.tag,
    properties: request.properties,
  });
  return { kind: 'xml', status: 201, xml: encodePublishResult(message.id, message.bodyMd5) };
}

/**
 * `GET`: long-polls for up to `waitseconds` and answers 200 `<Messages>`, or 404
 * MessageNotExist when nothing came. `trans=order` consumes in order per sharding key.
 */
export async function consumeOperation(
  context: PeerContext,
  resource: MqResource,
  signal: AbortSignal,
): Promise<MqAnswer> {
  const { query } = resource;
  const group = requireConsumer(query);
  const trans = query.get('trans');
  if (trans !== null && trans !== 'order') {
    throw new MqServiceError(
      400,
      'InvalidArgument',
      `trans=${trans} (transactional messages) is not supported by this peer.`,
    );
  }
  const max = integerParameter(query, 'numOfMessages', 1, MAX_MESSAGES_PER_CONSUME, undefined);
  const waitSeconds = integerParameter(query, 'waitseconds', 0, MAX_WAIT_SECONDS, 0);
  const tags = parseTagFilter(query.get('tag'));
  const { broker } = context;
  const deliveries = await longPoll({
    deadline: Date.now() + waitSeconds * 1000,
    attempt: () =>
      broker.consume({
        namespace: resource.namespace,
        topic: resource.topic,
        group,
        max,
        ordered: trans === 'order',
        tags,
      }),
    nextWakeAt: () => broker.nextVisibleAt(resource.namespace, resource.topic, group),
    onChange: (listener) => broker.onChange(listener),
    signal,
    onHold: (held) => {
      context.counters.heldPolls += held ? 1 : -1;
    },
  });
  if (deliveries.length === 0) throw new MqServiceError(404, 'MessageNotExist', 'Message not exist.');
  return { kind: 'xml', status: 200, xml: encodeMessages(deliveries.map(toWireMessage)) };
}

/**
 * `DELETE`: acks receipt handles; 204 when all were valid, else 404 with one
 * ReceiptHandleError per invalid handle (the others are acked). `loseAcks()` drops the answer.
 */
export async function ackOperation(
  context: PeerContext,
  resource: MqResource,
  body: string,
  signal: AbortSignal,
): Promise<MqAnswer> {
  const group = requireConsumer(resource.query);
  const trans = resource.query.get('trans');
  if (trans !== null) {
    throw new MqServiceError(
      400,
      'InvalidArgument',
      `trans=${trans} (transactional messages) is not supported by this peer.`,
    );
  }
  const handles = decodeAckRequest(body);
  const ack = (): string[] => context.broker.ack(resource.namespace, resource.topic, group, handles);
  const { faults, counters, random } = context;
  if (faults.loseAckRate > 0 && random() < faults.loseAckRate) {
    const apply = faults.loseAckEffect === 'always' || (faults.loseAckEffect === 'random' && random() < 0.5);
    counters.lostAcks += 1;
    if (apply) {
      ack();
      counters.lostAcksApplied += 1;
    }
    // As seen from the client, the answer got lost on the way: the slow delay still applies.
    if (faults.slowMs > 0) await abortableDelay(faults.slowMs, signal);
    return { kind: 'drop' };
  }
  const invalid = ack();
  return invalid.length === 0
    ? { kind: 'no-content' }
    : { kind: 'xml', status: 404, xml: encodeAckErrors(invalid) };
}

function toWireMessage(delivery: Delivery): WireMessage {
  const { message } = delivery;
  return {
    messageId: message.id,
    receiptHandle: delivery.receiptHandle,
    bodyMd5: message.bodyMd5,
    body: message.body,
    publishTime: message.publishTime,
    nextConsumeTime: delivery.nextConsumeTime,
    firstConsumeTime: delivery.firstConsumeTime,
    consumedTimes: delivery.consumedTimes,
    tag: message.tag,
    properties: formatMessageProperties(message.properties),
  };
}

function requireConsumer(query: URLSearchParams): string {
  const consumer = query.get('consumer');
  if (consumer === null || consumer === '') {
    throw new MqServiceError(400, 'InvalidArgument', 'The consumer parameter is missing.');
  }
  return consumer;
}

function integerParameter(
  query: URLSearchParams,
  name: string,
  min: number,
  max: number,
  fallback: number | undefined,
): number {
  const raw = query.get(name);
  if (raw === null && fallback !== undefined) return fallback;
  const value = Number(raw);
  if (raw === null || !/^\d+$/.test(raw) || value < min || value > max) {
    throw new MqServiceError(
      400,
      'InvalidArgument',
      `${name} must be an integer from ${min} to ${max}, got ${raw ?? 'none'}.`,
    );
  }
  return value;
}

/** `*`, empty or absent selects everything; `a||b` selects those tags. */
function parseTagFilter(raw: string | null): ReadonlySet<string> | undefined {
  const expression = (raw ?? '').trim();
  if (expression === '' || expression === '*') return undefined;
  return new Set(
    expression
      .split('||')
      .map((tag) => tag.trim())
      .filter((tag) => tag !== ''),
  );
}
