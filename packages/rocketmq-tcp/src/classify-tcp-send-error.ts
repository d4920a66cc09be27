import { IdemError } from '@idem/core';
import {
  BadRequestException,
  ForbiddenException,
  NotFoundException,
  PayloadTooLargeException,
  PaymentRequiredException,
  RequestHeaderFieldsTooLargeException,
  UnauthorizedException,
  UnsupportedException,
} from 'rocketmq-client-nodejs';

// Answers about the message or the caller, not about the broker's health: the topic does not
// exist, the message is too large or malformed, the credentials are refused.
const REFUSALS = [
  BadRequestException,
  UnauthorizedException,
  ForbiddenException,
  PaymentRequiredException,
  NotFoundException,
  PayloadTooLargeException,
  RequestHeaderFieldsTooLargeException,
  UnsupportedException,
];

// What the 1.0.8 client throws before sending when the message cannot be sent as it is.
const CLIENT_REFUSALS = /body size exceeds|message type|mutually exclusive|should not set/i;

/**
 * Sorts what rocketmq-client-nodejs threw from a send: a refusal of the message becomes
 * `MESSAGE_REJECTED` (not retryable); everything else (gRPC UNAVAILABLE or DEADLINE_EXCEEDED,
 * TOO_MANY_REQUESTS, internal errors, a route without writable queues) is a retryable
 * `SEND_FAILED`. A `ClientException`'s `code` is a RocketMQ code, a grpc-js error's a gRPC code.
 */
export function classifyTcpSendError(error: unknown, where: string): IdemError {
  const message = error instanceof Error ? error.message : String(error);
  if (
    REFUSALS.some((refusal) => error instanceof refusal) ||
    (error instanceof TypeError && CLIENT_REFUSALS.test(message))
  ) {
    const code = (error as { code?: unknown }).code;
    return new IdemError(
      'MESSAGE_REJECTED',
      `RocketMQ at ${where} refused the message${typeof code === 'number' ? ` (code ${code})` : ''}: ${message}`,
      { retryable: false, cause: error },
    );
  }
  return new IdemError('SEND_FAILED', `sending to RocketMQ at ${where} failed: ${message}`, {
    retryable: true,
    cause: error,
  });
}
