import { cdata, textElement } from './xml-text.js';

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const NAMESPACE = 'http://mq.aliyuncs.com/doc/v1/';

/** One message of a consume answer, as the SDK reads it (every field arrives as a string). */
export interface WireMessage {
  readonly messageId: string;
  readonly receiptHandle: string;
  /** Uppercase hex MD5 of the UTF-8 body. */
  readonly bodyMd5: string;
  readonly body: string;
  readonly publishTime: number;
  /** Absolute ms at which the message becomes visible again unless acked. */
  readonly nextConsumeTime: number;
  readonly firstConsumeTime: number;
  readonly consumedTimes: number;
  readonly tag: string | undefined;
  /** Wire form `k:v|k2:v2`, including KEYS and __SHARDINGKEY; empty for none. */
  readonly properties: string;
}

/** The 201 answer to a publish: `<Message><MessageId/><MessageBodyMD5/></Message>`. */
export function encodePublishResult(messageId: string, bodyMd5: string): string {
  return (
    `${DECLARATION}<Message xmlns="${NAMESPACE}">` +
    `${textElement('MessageId', messageId)}${textElement('MessageBodyMD5', bodyMd5)}</Message>`
  );
}

/**
 * The 200 answer to a consume, with at least one message. Never send it empty: the SDK reads
 * `<Messages/>` as a body without `Message` and throws a TypeError (no messages is a 404
 * `MessageNotExist` error instead). An absent tag or empty property list is left out, which the
 * SDK reads back as `undefined` and `{}`.
 */
export function encodeMessages(messages: readonly WireMessage[]): string {
  const items = messages.map(
    (message) =>
      '<Message>' +
      textElement('MessageId', message.messageId) +
      textElement('ReceiptHandle', message.receiptHandle) +
      textElement('MessageBodyMD5', message.bodyMd5) +
      `<MessageBody>${cdata(message.body)}</MessageBody>` +
      textElement('PublishTime', String(message.publishTime)) +
      textElement('NextConsumeTime', String(message.nextConsumeTime)) +
      textElement('FirstConsumeTime', String(message.firstConsumeTime)) +
      textElement('ConsumedTimes', String(message.consumedTimes)) +
      (message.tag === undefined ? '' : textElement('MessageTag', message.tag)) +
      (message.properties === '' ? '' : `<Properties>${cdata(message.properties)}</Properties>`) +
      '</Message>',
  );
  return `${DECLARATION}<Messages xmlns="${NAMESPACE}">${items.join('')}</Messages>`;
}

/** What an `<Error>` document says. */
export interface WireError {
  readonly code: string;
  readonly message: string;
  readonly requestId: string;
  readonly hostId: string;
}

/** An error answer: the SDK throws `Error` with `.Code` and `.RequestId` taken from it. */
export function encodeError(error: WireError): string {
  return (
    `${DECLARATION}<Error xmlns="${NAMESPACE}">` +
    textElement('Code', error.code) +
    textElement('Message', error.message) +
    textElement('RequestId', error.requestId) +
    textElement('HostId', error.hostId) +
    '</Error>'
  );
}

/** The text the real service gives for a handle it cannot ack. */
export const RECEIPT_HANDLE_ERROR_MESSAGE = 'The receipt handle you provide is not valid.';

/**
 * The 404 answer to an ack where some handles failed: the SDK does not throw but returns
 * `{ code: 404, body: [{ ErrorCode, ErrorMessage, ReceiptHandle }] }`.
 */
export function encodeAckErrors(invalidHandles: readonly string[]): string {
  const items = invalidHandles.map(
    (handle) =>
      '<Error>' +
      textElement('ErrorCode', 'ReceiptHandleError') +
      textElement('ErrorMessage', RECEIPT_HANDLE_ERROR_MESSAGE) +
      textElement('ReceiptHandle', handle) +
      '</Error>',
  );
  return `${DECLARATION}<Errors xmlns="${NAMESPACE}">${items.join('')}</Errors>`;
}
