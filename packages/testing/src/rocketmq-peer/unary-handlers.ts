import {
  status as GrpcStatus,
  type handleUnaryCall,
  type ServerUnaryCall,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { clientIdOf, responseDelay, type ServiceContext } from './service-context.js';
import { newMessageId } from './stored-message.js';
import { durationToMs, fromWireMessage, wireMessageQueue, wireStatus } from './wire-codec.js';
import {
  type AckMessageRequest,
  type ChangeInvisibleDurationRequest,
  Code,
  type CodeValue,
  type ForwardMessageToDeadLetterQueueRequest,
  type GroupRequest,
  type QueryAssignmentRequest,
  type QueryRouteRequest,
  type SendMessageRequest,
  type WireMessage,
  type WireStatus,
} from './wire-types.js';

/** A call that fails at the gRPC level (no RocketMQ response at all), as a broken connection does. */
class TransportFailure {
  readonly code: GrpcStatus;
  readonly details: string;

  constructor(code: GrpcStatus, details: string) {
    this.code = code;
    this.details = details;
  }
}

/** A handler body: returns the response, or a {@link TransportFailure}. */
type UnaryBody<Request> = (call: ServerUnaryCall<Request, unknown>) => object;

/** Wraps a handler body: errors become INTERNAL_SERVER_ERROR statuses, and `delay(ms)` applies. */
function unary<Request>(
  context: ServiceContext,
  body: UnaryBody<Request>,
): handleUnaryCall<Request, unknown> {
  return (call: ServerUnaryCall<Request, unknown>, callback: sendUnaryData<unknown>) => {
    let response: object;
    try {
      response = context.alive()
        ? body(call)
        : new TransportFailure(GrpcStatus.UNAVAILABLE, 'the broker is shutting down');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      response = { status: wireStatus(Code.INTERNAL_SERVER_ERROR, message) };
    }
    void responseDelay(context).then(() => {
      if (response instanceof TransportFailure) callback({ code: response.code, details: response.details });
      else callback(null, response);
    });
  };
}

/** The proxy's summary of per-entry results: the entry code when all agree, else MULTIPLE_RESULTS. */
function summarize(statuses: readonly WireStatus[]): WireStatus {
  const first = statuses[0];
  if (first === undefined) return wireStatus(Code.OK);
  return statuses.every((status) => status.code === first.code) ? first : wireStatus(Code.MULTIPLE_RESULTS);
}

const invalidHandle = (): WireStatus =>
  wireStatus(Code.INVALID_RECEIPT_HANDLE, 'the receipt handle is stale or its invisible time has expired');

/**
 * The unary calls of `MessagingService`. Topics exist as soon as someone names them, each with
 * one read-write queue (id 0) on this peer.
 */
export function unaryHandlers(context: ServiceContext): UntypedServiceImplementation {
  const { model, config } = context;
  return {
    QueryRoute: unary<QueryRouteRequest>(context, (call) => {
      const topic = call.request.topic?.name ?? '';
      if (topic === '')
        return { status: wireStatus(Code.ILLEGAL_TOPIC, 'topic is blank'), messageQueues: [] };
      if (!topicExists(context, topic)) return { status: topicNotFound(topic), messageQueues: [] };
      return { status: wireStatus(Code.OK), messageQueues: [wireMessageQueue(topic, context.endpoints)] };
    }),

    QueryAssignment: unary<QueryAssignmentRequest>(context, (call) => {
      const topic = call.request.topic?.name ?? '';
      if (topic === '') return { status: wireStatus(Code.ILLEGAL_TOPIC, 'topic is blank'), assignments: [] };
      if ((call.request.group?.name ?? '') === '') {
        return {
          status: wireStatus(Code.ILLEGAL_CONSUMER_GROUP, 'consumer group is blank'),
          assignments: [],
        };
      }
      return {
        status: wireStatus(Code.OK),
        assignments: [{ messageQueue: wireMessageQueue(topic, context.endpoints) }],
      };
    }),

    Heartbeat: unary<GroupRequest>(context, () => ({ status: wireStatus(Code.OK) })),

    SendMessage: unary<SendMessageRequest>(context, (call) => {
      const entries = call.request.messages.map((message) => store(context, message));
      return { status: summarize(entries.map((entry) => entry.status)), entries };
    }),

    AckMessage: unary<AckMessageRequest>(context, (call) => {
      const group = call.request.group?.name ?? '';
      const topic = call.request.topic?.name ?? '';
      const decision = context.faults.rollLostAck();
      if (decision !== 'answer') {
        model.counters.count(group, 'lostAcks');
        if (decision === 'apply-then-fail') {
          for (const entry of call.request.entries) model.ack(group, topic, entry.receiptHandle);
        }
        return new TransportFailure(GrpcStatus.UNAVAILABLE, 'Connection dropped (injected ack loss)');
      }
      const entries = call.request.entries.map((entry) => ({
        messageId: entry.messageId,
        receiptHandle: entry.receiptHandle,
        status: model.ack(group, topic, entry.receiptHandle) === 'ok' ? wireStatus(Code.OK) : invalidHandle(),
      }));
      return { status: summarize(entries.map((entry) => entry.status)), entries };
    }),

    ChangeInvisibleDuration: unary<ChangeInvisibleDurationRequest>(context, (call) => {
      const durationMs = durationToMs(call.request.invisibleDuration);
      if (durationMs === undefined || durationMs < 0 || durationMs > config.maxInvisibleDurationMs) {
        return {
          status: wireStatus(Code.ILLEGAL_INVISIBLE_TIME, `invisible duration ${durationMs} ms is illegal`),
        };
      }
      const handle = model.changeInvisibleDuration(
        call.request.group?.name ?? '',
        call.request.topic?.name ?? '',
        call.request.receiptHandle,
        durationMs,
      );
      if (handle === undefined) return { status: invalidHandle(), receiptHandle: '' };
      return { status: wireStatus(Code.OK), receiptHandle: handle };
    }),

    ForwardMessageToDeadLetterQueue: unary<ForwardMessageToDeadLetterQueueRequest>(context, (call) => {
      const outcome = model.forwardToDeadLetter(
        call.request.group?.name ?? '',
        call.request.topic?.name ?? '',
        call.request.receiptHandle,
      );
      return { status: outcome === 'ok' ? wireStatus(Code.OK) : invalidHandle() };
    }),

    NotifyClientTermination: unary<GroupRequest>(context, (call) => {
      const clientId = clientIdOf(call.metadata);
      if (clientId !== undefined) {
        context.sessions.forget(clientId);
        model.releaseLeases(clientId, config.leaseClearDelayMs);
      }
      return { status: wireStatus(Code.OK) };
    }),
  };
}

function store(
  context: ServiceContext,
  message: WireMessage,
): { status: WireStatus; messageId: string; offset: number } {
  const topic = message.topic?.name ?? '';
  const reject = (code: CodeValue, text: string) => ({
    status: wireStatus(code, text),
    messageId: '',
    offset: 0,
  });
  if (topic === '') return reject(Code.ILLEGAL_TOPIC, 'topic is blank');
  if (!topicExists(context, topic)) return { status: topicNotFound(topic), messageId: '', offset: 0 };
  if (message.body.length > context.config.maxBodySize) {
    return reject(
      Code.MESSAGE_BODY_TOO_LARGE,
      `body of ${message.body.length} bytes exceeds ${context.config.maxBodySize}`,
    );
  }
  const input = fromWireMessage(message, Date.now());
  const stored = context.model.publish(topic, { ...input, messageId: input.messageId || newMessageId() });
  return { status: wireStatus(Code.OK), messageId: stored.messageId, offset: stored.offset };
}

function topicExists(context: ServiceContext, topic: string): boolean {
  return context.config.topics === undefined || context.config.topics.has(topic);
}

function topicNotFound(topic: string): WireStatus {
  return wireStatus(Code.TOPIC_NOT_FOUND, `topic ${topic} does not exist`);
}
