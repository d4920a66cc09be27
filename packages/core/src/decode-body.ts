import type { StandardSchemaV1 } from '@standard-schema/spec';
import { IdemError } from './errors.js';
import type { InboundMessage } from './message.js';

/** How a handler's body is decoded: `json` (UTF-8 JSON), `text` (UTF-8), `raw` (the Buffer), or a function. */
export type BodyDecoder<TBody = unknown> =
  | 'json'
  | 'text'
  | 'raw'
  | ((body: Buffer, message: InboundMessage) => TBody | Promise<TBody>);

// fatal: invalid UTF-8 is poison, not silently replaced with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes and validates a body for its handler.
 *
 * @throws IdemError `BODY_DECODE_FAILED` or `SCHEMA_VALIDATION_FAILED`: the message is poison.
 */
export async function decodeBody(
  message: InboundMessage,
  decoder: BodyDecoder,
  schema: StandardSchemaV1 | undefined,
): Promise<unknown> {
  const decoded = await decode(message, decoder);
  if (schema === undefined) return decoded;
  const result = await schema['~standard'].validate(decoded);
  if (result.issues === undefined) return result.value;
  const issues = result.issues
    .slice(0, 5)
    .map((issue) => `${formatPath(issue.path)}: ${issue.message}`)
    .join('; ');
  throw new IdemError(
    'SCHEMA_VALIDATION_FAILED',
    `body of message ${message.messageId} on topic "${message.topic}" does not match the handler's schema: ${issues}`,
  );
}

async function decode(message: InboundMessage, decoder: BodyDecoder): Promise<unknown> {
  try {
    if (decoder === 'raw') return message.body;
    if (decoder === 'text') return utf8.decode(message.body);
    if (decoder === 'json') return JSON.parse(utf8.decode(message.body)) as unknown;
    return await decoder(message.body, message);
  } catch (error) {
    const how = typeof decoder === 'string' ? decoder : 'the custom decoder';
    const hint =
      decoder === 'json' ? " (set decode: 'text' or 'raw' on @Subscribe for bodies that are not JSON)" : '';
    throw new IdemError(
      'BODY_DECODE_FAILED',
      `body of message ${message.messageId} on topic "${message.topic}" cannot be decoded as ${how}: ${
        error instanceof Error ? error.message : String(error)
      }${hint}`,
      { cause: error },
    );
  }
}

function formatPath(path: StandardSchemaV1.Issue['path']): string {
  if (path === undefined || path.length === 0) return '(body)';
  return path.map((segment) => String(typeof segment === 'object' ? segment.key : segment)).join('.');
}
