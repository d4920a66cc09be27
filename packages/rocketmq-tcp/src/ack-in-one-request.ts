import { createRequire } from 'node:module';
import { IdemError } from '@idem/core';
import type { MessageView, SimpleConsumer } from 'rocketmq-client-nodejs';
import type * as Definition from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb.js';
import type * as Service from 'rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb.js';

const require = createRequire(import.meta.url);
// The client's generated protobuf classes (CommonJS, not re-exported by its index).
const service = require('rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_pb') as typeof Service;
const definition =
  require('rocketmq-client-nodejs/proto/apache/rocketmq/v2/definition_pb') as typeof Definition;

// RocketMQ status codes (apache.rocketmq.v2.Code).
const OK = 20_000;
// The handle is no longer valid: the message was already acked, or its invisible time ran out
// and it is redelivered (the redelivery is then skipped as a duplicate). Settled either way.
const INVALID_RECEIPT_HANDLE = 40_013;

/** One entry of an ack the broker refused, with its status. */
export interface RefusedAck {
  readonly messageId: string;
  readonly code: number;
  readonly message: string;
}

/**
 * Acknowledges `views` (one topic, one broker endpoint) with one `AckMessageRequest` of many
 * entries, which the protocol allows and the proxy answers entry by entry.
 *
 * Why not `SimpleConsumer.ack`: rocketmq-client-nodejs 1.0.8 sends one request per message and
 * checks only the top-level status. `ackMessageViaRpc`, the public method its PushConsumer uses
 * for the same call, takes a request we build ourselves and goes through the client's own
 * channel, metadata and signature. Resolves when every entry was acked or refused as no longer
 * valid; rejects with `ACK_FAILED` (retryable) naming the other refusals, and with the gRPC
 * error when the outcome is unknown. test/ack-in-one-request.test.ts guards it on the peer and
 * on the real broker.
 */
export async function ackInOneRequest(
  consumer: SimpleConsumer,
  consumerGroup: string,
  views: readonly MessageView[],
  timeoutMs: number,
): Promise<void> {
  const first = views[0];
  if (first === undefined) return;
  const request = new service.AckMessageRequest()
    .setGroup(new definition.Resource().setName(consumerGroup))
    .setTopic(new definition.Resource().setName(first.topic));
  for (const view of views)
    request.addEntries().setMessageId(view.messageId).setReceiptHandle(view.receiptHandle);
  const response = await consumer.ackMessageViaRpc(first.endpoints, request, timeoutMs);
  const refused = refusedAcks(response.toObject(), views);
  if (refused.length === 0) return;
  const codes = [...new Set(refused.map((entry) => `${entry.code} ${entry.message}`.trim()))].join('; ');
  throw new IdemError(
    'ACK_FAILED',
    `RocketMQ refused ${refused.length} of ${views.length} acks on topic "${first.topic}" (group "${consumerGroup}"): ${codes}`,
    { retryable: true },
  );
}

/**
 * The entries of an ack response that are neither acked nor settled by redelivery. Each entry
 * carries its own status (the proxy answers MULTIPLE_RESULTS, 30000, on top when they differ); an
 * answer without entries, or an entry without a status, falls back to the top-level status.
 */
export function refusedAcks(
  response: Service.AckMessageResponse.AsObject,
  views: readonly Pick<MessageView, 'messageId'>[],
): RefusedAck[] {
  const top = response.status;
  const settled = (code: number | undefined): boolean =>
    code === undefined || code === OK || code === INVALID_RECEIPT_HANDLE;
  if (response.entriesList.length === 0) {
    if (settled(top?.code)) return [];
    return views.map((view) => ({
      messageId: view.messageId,
      code: top?.code ?? 0,
      message: top?.message ?? '',
    }));
  }
  return response.entriesList
    .map((entry) => ({ messageId: entry.messageId, status: entry.status ?? top }))
    .filter((entry) => !settled(entry.status?.code))
    .map((entry) => ({
      messageId: entry.messageId,
      code: entry.status?.code ?? 0,
      message: entry.status?.message ?? '',
    }));
}
