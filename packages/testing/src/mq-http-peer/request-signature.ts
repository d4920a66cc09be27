import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** The parts of a request that its signature covers. */
export interface SignedRequestParts {
  readonly method: string;
  /** Header names in lower case, as node:http gives them. */
  readonly headers: IncomingHttpHeaders;
  /** Path and query exactly as sent, e.g. `/topics/T/messages?consumer=G&numOfMessages=1`. */
  readonly resource: string;
}

/**
 * The string the SDK signs: `METHOD\ncontent-md5\ncontent-type\ndate\n`, then every `x-mq-*`
 * header as `name:value\n` in name order, then the resource. Unlike the public documentation,
 * the SDK includes content-md5 (empty on GET), so the peer must too.
 */
export function stringToSign(parts: SignedRequestParts): string {
  const header = (name: string): string => {
    const value = parts.headers[name];
    return Array.isArray(value) ? value.join(', ') : (value ?? '');
  };
  const mqHeaders = Object.keys(parts.headers)
    .filter((name) => name.startsWith('x-mq-'))
    .sort()
    .map((name) => `${name}:${header(name)}\n`)
    .join('');
  return `${parts.method}\n${header('content-md5')}\n${header('content-type')}\n${header('date')}\n${mqHeaders}${parts.resource}`;
}

/** The signature the SDK computes: base64 of HMAC-SHA1 over {@link stringToSign}. */
export function computeSignature(parts: SignedRequestParts, accessKeySecret: string): string {
  return createHmac('sha1', accessKeySecret).update(stringToSign(parts), 'utf8').digest('base64');
}

/** True when `signature` is the one {@link computeSignature} gives, compared in constant time. */
export function signatureMatches(
  parts: SignedRequestParts,
  accessKeySecret: string,
  signature: string,
): boolean {
  const expected = Buffer.from(computeSignature(parts, accessKeySecret));
  const actual = Buffer.from(signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Splits `authorization: MQ <accessKeyId>:<signature>`; undefined when it has another shape. */
export function parseAuthorization(
  value: string | undefined,
): { readonly accessKeyId: string; readonly signature: string } | undefined {
  const match = /^MQ ([^:\s]+):(\S+)$/.exec(value ?? '');
  if (match === null) return undefined;
  const [, accessKeyId = '', signature = ''] = match;
  return { accessKeyId, signature };
}

/**
 * The content-md5 header the SDK sends: base64 of the *hex string* of the body's MD5, not of
 * the digest bytes as RFC 1864 would have it.
 */
export function sdkContentMd5(body: Buffer): string {
  return Buffer.from(createHash('md5').update(body).digest('hex'), 'utf8').toString('base64');
}
