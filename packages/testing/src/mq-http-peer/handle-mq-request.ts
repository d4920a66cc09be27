import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { encodeError } from './encode-response-body.js';
import { abortableDelay } from './long-poll.js';
import {
  ackOperation,
  consumeOperation,
  type MqAnswer,
  type MqResource,
  publishOperation,
} from './mq-operations.js';
import { MqServiceError } from './mq-service-error.js';
import type { PeerContext } from './peer-context.js';
import { parseAuthorization, sdkContentMd5, signatureMatches } from './request-signature.js';

/** Largest request body read; ApsaraMQ's own limit on a message body is 4 MB. */
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;
const RESOURCE = /^\/topics\/([^/?]+)\/messages$/;

/** Content type of every XML answer, as the real service sends it. */
export const XML_CONTENT_TYPE = 'text/xml;charset=utf-8';

/**
 * Serves one request of the MQ HTTP API: checks the signature as the SDK computes it, routes
 * publish (POST), consume (GET) and ack (DELETE) on `/topics/{topic}/messages`, and writes the
 * answer (after the `slow()` delay). Rejects only when `signal` aborts, with its reason; the
 * caller then decides what the client sees (outage, stop).
 */
export async function handleMqRequest(
  request: IncomingMessage,
  response: ServerResponse,
  context: PeerContext,
  signal: AbortSignal,
): Promise<void> {
  const requestId = randomBytes(12).toString('hex').toUpperCase();
  let answer: MqAnswer;
  try {
    const body = await readBody(request);
    authenticate(request, body, context);
    answer = await route(request, body, context, signal);
  } catch (error) {
    if (signal.aborted) throw signal.reason;
    const serviceError =
      error instanceof MqServiceError
        ? error
        : new MqServiceError(500, 'InternalError', error instanceof Error ? error.message : String(error));
    context.counters.countError(serviceError.code);
    answer = {
      kind: 'xml',
      status: serviceError.status,
      xml: encodeError({
        code: serviceError.code,
        message: serviceError.message,
        requestId,
        hostId: context.hostId,
      }),
    };
  }
  if (answer.kind === 'drop') {
    request.socket.resetAndDestroy();
    return;
  }
  if (context.faults.slowMs > 0) await abortableDelay(context.faults.slowMs, signal);
  if (answer.kind === 'no-content') {
    response.writeHead(204, { 'x-mq-request-id': requestId }).end();
    return;
  }
  response
    .writeHead(answer.status, {
      'content-type': XML_CONTENT_TYPE,
      'content-length': Buffer.byteLength(answer.xml),
      'x-mq-request-id': requestId,
    })
    .end(answer.xml);
}

async function route(
  request: IncomingMessage,
  body: Buffer,
  context: PeerContext,
  signal: AbortSignal,
): Promise<MqAnswer> {
  const url = new URL(request.url ?? '/', 'http://peer');
  const match = RESOURCE.exec(url.pathname);
  if (match === null) {
    throw new MqServiceError(
      400,
      'InvalidArgument',
      `Unknown resource ${url.pathname}: use /topics/{topic}/messages.`,
    );
  }
  const topic = decodeTopic(match[1] ?? '');
  if (context.topics !== undefined && !context.topics.has(topic)) {
    throw new MqServiceError(404, 'TopicNotExist', `The topic ${topic} does not exist.`);
  }
  const resource: MqResource = {
    namespace: url.searchParams.get('ns') ?? '',
    topic,
    query: url.searchParams,
  };
  switch (request.method) {
    case 'POST':
      return publishOperation(context, resource, body.toString('utf8'));
    case 'GET':
      return await consumeOperation(context, resource, signal);
    case 'DELETE':
      return await ackOperation(context, resource, body.toString('utf8'), signal);
    default:
      throw new MqServiceError(400, 'InvalidArgument', `Method ${request.method ?? ''} is not supported.`);
  }
}

function decodeTopic(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new MqServiceError(
      400,
      'InvalidArgument',
      `The topic name ${raw} is not a valid URL path segment.`,
    );
  }
}

function authenticate(request: IncomingMessage, body: Buffer, context: PeerContext): void {
  const authorization = parseAuthorization(request.headers.authorization);
  if (authorization === undefined) {
    throw new MqServiceError(
      403,
      'AccessDenied',
      'The Authorization header is missing or is not "MQ <AccessKeyId>:<Signature>".',
    );
  }
  const secret = context.credentials.get(authorization.accessKeyId);
  if (secret === undefined) {
    throw new MqServiceError(
      403,
      'AccessDenied',
      `The AccessKeyId ${authorization.accessKeyId} is not known.`,
    );
  }
  const parts = { method: request.method ?? '', headers: request.headers, resource: request.url ?? '/' };
  if (!signatureMatches(parts, secret, authorization.signature)) {
    throw new MqServiceError(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    );
  }
  const contentMd5 = request.headers['content-md5'];
  if (contentMd5 !== undefined && contentMd5 !== sdkContentMd5(body)) {
    throw new MqServiceError(400, 'InvalidDigest', 'The content-md5 header does not match the request body.');
  }
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_REQUEST_BYTES) {
      throw new MqServiceError(
        400,
        'InvalidArgument',
        `The request body is larger than ${MAX_REQUEST_BYTES} bytes.`,
      );
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}
