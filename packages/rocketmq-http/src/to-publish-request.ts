import { IdemError, type ProducerMessage } from '@idem/core';
import { type SdkMessageProperties, sdkMessageProperties } from './mq-http-client.js';

/** What the SDK's `publishMessage(body, tag, properties)` takes for one message. */
export interface PublishRequest {
  readonly body: string;
  readonly tag: string | undefined;
  readonly properties: SdkMessageProperties;
}

// Properties the SDK and the service use themselves; a user property of that name would clash.
const RESERVED_PROPERTIES = new Set(['KEYS', '__SHARDINGKEY', '__STARTDELIVERTIME', '__TransCheckT']);
// The SDK writes values into CDATA sections without escaping, and properties as `k:v|k:v`.
const PROPERTY_UNSAFE = /['"&<>|:]/;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** True for a character XML 1.0 cannot carry at all, or CR, which XML parsers turn into LF. */
function hasUncarriedCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a) || code === 0xfffe || code === 0xffff) return true;
  }
  return false;
}

/**
 * Maps a message to what the HTTP SDK sends, or throws `MESSAGE_REJECTED` for a message the
 * HTTP API cannot carry unchanged. The API carries the body as XML text, so the body must be
 * UTF-8 text that XML keeps as it is: no bytes that are not UTF-8, no control characters
 * (CR included: XML turns CRLF into LF), no `]]>` (the SDK does not escape its CDATA sections).
 * Binary bodies are refused rather than re-encoded: a consumer would receive bytes other than
 * the ones sent. Keys are joined with spaces (`KEYS`, as RocketMQ does), the message group
 * becomes the sharding key, `deliverAt` the start-deliver time.
 */
export function toPublishRequest(message: ProducerMessage, maxBodyBytes: number): PublishRequest {
  const reject = (why: string): never => {
    throw new IdemError(
      'MESSAGE_REJECTED',
      `message ${message.id} cannot be sent over the HTTP API: ${why}`,
      {
        retryable: false,
      },
    );
  };
  if (message.body.length > maxBodyBytes)
    reject(`its body of ${message.body.length} bytes exceeds ${maxBodyBytes}`);
  let body = '';
  try {
    body = utf8.decode(message.body);
  } catch {
    reject(
      'its body is not UTF-8 text (the API carries bodies as XML text; send binary data over TCP or encode it)',
    );
  }
  if (hasUncarriedCharacter(body))
    reject('its body holds a control character or CR, which XML does not carry unchanged');
  if (body.includes(']]>')) reject('its body holds "]]>", which the SDK does not escape');
  const text = (what: string, value: string): string => {
    if (
      value === '' ||
      hasUncarriedCharacter(value) ||
      PROPERTY_UNSAFE.test(value) ||
      value.includes(']]>')
    ) {
      reject(
        `${what} ${JSON.stringify(value)} is empty or holds one of ' " & < > | : or a control character`,
      );
    }
    return value;
  };
  const properties = sdkMessageProperties();
  for (const [key, value] of Object.entries(message.properties)) {
    if (RESERVED_PROPERTIES.has(key)) reject(`property ${key} is reserved by the HTTP API`);
    properties.putProperty(text('property name', key), text(`property ${key}`, value));
  }
  if (message.keys.length > 0) {
    properties.messageKey(
      message.keys
        .map((key) =>
          key.includes(' ')
            ? reject(`key ${JSON.stringify(key)} holds a space, the key separator`)
            : text('key', key),
        )
        .join(' '),
    );
  }
  if (message.messageGroup !== undefined) properties.shardingKey(text('message group', message.messageGroup));
  if (message.deliverAt !== undefined) properties.startDeliverTime(message.deliverAt.getTime());
  return { body, tag: message.tag === undefined ? undefined : text('tag', message.tag), properties };
}
