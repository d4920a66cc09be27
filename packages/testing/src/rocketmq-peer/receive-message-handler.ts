import type { handleServerStreamingCall, ServerWritableStream } from '@grpc/grpc-js';
import type { Delivery, ReceiveRequest } from './broker-model.js';
import { clientIdOf, responseDelay, type ServiceContext } from './service-context.js';
import { durationToMs, msToTimestamp, toWireMessage, wireStatus } from './wire-codec.js';
import {
  Code,
  type CodeValue,
  FilterType,
  type ReceiveMessageRequest,
  type ReceiveMessageResponse,
} from './wire-types.js';

type ReceiveCall = ServerWritableStream<ReceiveMessageRequest, ReceiveMessageResponse>;

/** Time kept between the end of a long poll and the client's deadline, so the answer arrives in time. */
const DEADLINE_MARGIN_MS = 300;

/**
 * ReceiveMessage: validates like the Apache proxy, then holds the long poll until a message is
 * deliverable or the poll expires, and answers in the proxy's frame order: one status frame
 * (OK, or MESSAGE_NOT_FOUND after an empty poll), one frame per message, one
 * `delivery_timestamp` frame, then gRPC OK.
 */
export function handleReceiveMessage(
  context: ServiceContext,
): handleServerStreamingCall<ReceiveMessageRequest, ReceiveMessageResponse> {
  return (call) => {
    receive(context, call).catch((error: unknown) => {
      if (!call.cancelled && call.writable) {
        const message = error instanceof Error ? error.message : String(error);
        call.write({ status: wireStatus(Code.INTERNAL_SERVER_ERROR, message) });
        call.end();
      }
    });
  };
}

async function receive(context: ServiceContext, call: ReceiveCall): Promise<void> {
  const checked = checkRequest(context, call);
  if ('code' in checked) {
    await finish(context, call, [{ status: wireStatus(checked.code, checked.message) }]);
    return;
  }
  const { request, pollUntil } = checked;
  while (context.alive() && !call.cancelled) {
    const deliveries = context.model.receive(request);
    if (deliveries.length > 0) {
      await send(context, call, deliveries);
      return;
    }
    if (Date.now() >= pollUntil) {
      await finish(context, call, [{ status: wireStatus(Code.MESSAGE_NOT_FOUND, 'no new message') }]);
      return;
    }
    context.model.counters.countOpenLongPoll(1);
    try {
      await nextChance(context, call, request, pollUntil);
    } finally {
      context.model.counters.countOpenLongPoll(-1);
    }
  }
}

interface CheckedReceive {
  readonly request: ReceiveRequest;
  readonly pollUntil: number;
}

function checkRequest(
  context: ServiceContext,
  call: ReceiveCall,
): CheckedReceive | { readonly code: CodeValue; readonly message: string } {
  const { config } = context;
  const request = call.request;
  const clientId = clientIdOf(call.metadata);
  if (clientId === undefined) return { code: Code.CLIENT_ID_REQUIRED, message: 'x-mq-client-id is missing' };
  // The proxy answers a receive before the client's Settings with an NPE (apache/rocketmq #8133).
  if (!context.sessions.hasSettings(clientId)) {
    return {
      code: Code.INTERNAL_SERVER_ERROR,
      message: `settings of client ${clientId} are not registered: send them on the Telemetry stream first`,
    };
  }
  const group = request.group?.name ?? '';
  const topic = request.messageQueue?.topic?.name ?? '';
  if (group === '') return { code: Code.ILLEGAL_CONSUMER_GROUP, message: 'consumer group is blank' };
  if (topic === '') return { code: Code.ILLEGAL_TOPIC, message: 'topic is blank' };
  const filter = request.filterExpression;
  if (filter?.type === FilterType.SQL) {
    return { code: Code.ILLEGAL_FILTER_EXPRESSION, message: 'SQL92 filtering is not enabled on this broker' };
  }
  if (request.batchSize < 1)
    return { code: Code.BAD_REQUEST, message: `batch size ${request.batchSize} < 1` };
  let invisibleMs = config.pushInvisibleDurationMs;
  if (!request.autoRenew) {
    const asked = durationToMs(request.invisibleDuration);
    if (
      asked === undefined ||
      asked < config.minInvisibleDurationMs ||
      asked > config.maxInvisibleDurationMs
    ) {
      return {
        code: Code.ILLEGAL_INVISIBLE_TIME,
        message: `invisible duration ${asked ?? 'missing'} ms is outside [${config.minInvisibleDurationMs}, ${config.maxInvisibleDurationMs}] ms`,
      };
    }
    invisibleMs = asked;
  }
  const now = Date.now();
  const asked = durationToMs(request.longPollingTimeout) ?? config.longPollingTimeoutMs;
  let pollMs = Math.min(Math.max(asked, 0), config.maxLongPollingMs);
  const deadline = deadlineMs(call);
  if (deadline !== undefined) pollMs = Math.min(pollMs, deadline - now - DEADLINE_MARGIN_MS);
  return {
    request: {
      group,
      topic,
      filterExpression: filter?.expression ?? '*',
      max: request.batchSize,
      invisibleMs,
      leaseOwner: request.autoRenew && context.sessions.isOnline(clientId) ? clientId : undefined,
    },
    pollUntil: now + Math.max(pollMs, 0),
  };
}

async function send(
  context: ServiceContext,
  call: ReceiveCall,
  deliveries: readonly Delivery[],
): Promise<void> {
  for (const delivery of deliveries) {
    // Only first-hand deliveries spawn duplicates, so that a rate of 1 doubles them instead of looping.
    if (!delivery.duplicate && context.faults.rollDuplicate())
      context.model.duplicate(delivery.receiptHandle);
  }
  await responseDelay(context);
  if (call.cancelled || !call.writable) {
    // The proxy hands popped messages back when it cannot write them; a crashed one cannot.
    if (context.alive())
      for (const delivery of deliveries) context.model.returnUndelivered(delivery.receiptHandle);
    return;
  }
  const frames: ReceiveMessageResponse[] = [{ status: wireStatus(Code.OK) }];
  for (const delivery of deliveries) frames.push({ message: toWireMessage(delivery, context.storeHost) });
  frames.push({ deliveryTimestamp: msToTimestamp(Date.now()) });
  for (const frame of frames) call.write(frame);
  call.end();
}

async function finish(
  context: ServiceContext,
  call: ReceiveCall,
  frames: ReceiveMessageResponse[],
): Promise<void> {
  await responseDelay(context);
  if (call.cancelled || !call.writable) return;
  for (const frame of frames) call.write(frame);
  call.write({ deliveryTimestamp: msToTimestamp(Date.now()) });
  call.end();
}

/** Resolves on the next change of the broker state, when a message may turn visible, at the poll's end, or on cancel. */
function nextChance(context: ServiceContext, call: ReceiveCall, request: ReceiveRequest, pollUntil: number) {
  return new Promise<void>((resolve) => {
    const now = Date.now();
    const visibleAt = context.model.nextVisibleAt(request.group, request.topic);
    const wakeAt = visibleAt === undefined ? pollUntil : Math.min(visibleAt, pollUntil);
    let settled = false;
    const wake = (): void => {
      if (settled) return;
      settled = true;
      unsubscribe();
      context.timers.clear(timer);
      call.off('cancelled', wake);
      resolve();
    };
    const unsubscribe = context.model.onChange(wake);
    const timer = context.timers.setTimeout(wake, Math.max(0, wakeAt - now));
    call.once('cancelled', wake);
  });
}

function deadlineMs(call: ReceiveCall): number | undefined {
  const deadline = call.getDeadline();
  const ms = deadline instanceof Date ? deadline.getTime() : deadline;
  return Number.isFinite(ms) ? ms : undefined;
}
