/**
 * Error codes the peer answers with, as ApsaraMQ for RocketMQ's HTTP API names them. The SDK
 * throws an `Error` whose `.Code` is one of these (a partial ack failure aside, which it
 * returns).
 */
export type MqServiceErrorCode =
  | 'MessageNotExist'
  | 'SignatureDoesNotMatch'
  | 'AccessDenied'
  | 'InvalidArgument'
  | 'MalformedXML'
  | 'MissingReceiptHandle'
  | 'InvalidDigest'
  | 'TopicNotExist'
  | 'ServiceUnavailable'
  | 'InternalError';

/** An error answer of the HTTP API: an HTTP status and an `<Error>` document. */
export class MqServiceError extends Error {
  override readonly name = 'MqServiceError';

  constructor(
    readonly status: number,
    readonly code: MqServiceErrorCode,
    message: string,
  ) {
    super(message);
  }
}
