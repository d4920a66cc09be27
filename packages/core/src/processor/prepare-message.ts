import { createHash } from 'node:crypto';
import { decodeBody } from '../decode-body.js';
import { IdemError } from '../errors.js';
import type { HandlerRegistry, Route } from '../handler-registry.js';
import type { InboundMessage } from '../message.js';
import { toStorableKey } from '../storable-key.js';

/** A message ready for its transaction: routed, decoded, validated and keyed. */
export interface ReadyMessage {
  readonly kind: 'ready';
  readonly message: InboundMessage;
  readonly route: Route;
  readonly body: unknown;
  /** The idempotency key in its stored form (see `toStorableKey`). */
  readonly key: string;
  /** The key as derived, in WTF-8, when `key` is its digest; else `undefined`. */
  readonly originalKey: Buffer | undefined;
  readonly payloadHash: Buffer;
}

/** A message that can never succeed as it is: no handler, undecodable, invalid, or unkeyable. */
export interface PoisonMessage {
  readonly kind: 'poison';
  readonly message: InboundMessage;
  readonly route: Route | undefined;
  /** The idempotency key in its stored form (see `toStorableKey`). */
  readonly key: string;
  readonly error: IdemError;
}

/**
 * Routes, decodes, validates and keys a message, all before any transaction opens: what fails
 * here is a fault of the message, so it is dead-lettered and never retried.
 */
export async function prepareMessage(
  message: InboundMessage,
  registry: HandlerRegistry,
): Promise<ReadyMessage | PoisonMessage> {
  const fallbackKey = toStorableKey(defaultIdempotencyKey(message)).key;
  const route = registry.resolve(message.topic, message.tag);
  if (route === undefined) {
    const error = new IdemError(
      'NO_HANDLER',
      `no handler of consumer group "${registry.consumerGroup}" takes topic "${message.topic}" with tag "${
        message.tag ?? ''
      }": add a @Subscribe for it, or narrow the subscription`,
    );
    return { kind: 'poison', message, route, key: fallbackKey, error };
  }
  let body: unknown;
  try {
    body = await decodeBody(message, route.decode, route.schema);
  } catch (error) {
    return { kind: 'poison', message, route, key: fallbackKey, error: asIdemError(error) };
  }
  let derived: string;
  try {
    derived = deriveKey(message, route, body);
  } catch (error) {
    return { kind: 'poison', message, route, key: fallbackKey, error: asIdemError(error) };
  }
  // Claimed, compared and handed to the handler in the form Postgres stores unchanged.
  const { key, original } = toStorableKey(derived);
  return {
    kind: 'ready',
    message,
    route,
    body,
    key,
    originalKey: original,
    payloadHash: payloadHash(message.body),
  };
}

/**
 * The default idempotency key: the first non-empty message key, as RocketMQ advises for business
 * keys, else the message id (which a producer re-send does not keep).
 */
export function defaultIdempotencyKey(message: InboundMessage): string {
  return message.keys.find((key) => key.trim() !== '') ?? message.messageId;
}

function deriveKey(message: InboundMessage, route: Route, body: unknown): string {
  if (route.key === undefined) return defaultIdempotencyKey(message);
  let key: unknown;
  try {
    key = route.key(message, body);
  } catch (error) {
    throw new IdemError(
      'INVALID_IDEMPOTENCY_KEY',
      `the key function of ${route.handlerName} threw for message ${message.messageId}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (typeof key !== 'string' || key === '') {
    throw new IdemError(
      'INVALID_IDEMPOTENCY_KEY',
      `the key function of ${route.handlerName} returned ${key === '' ? 'an empty string' : String(key)} for message ${
        message.messageId
      }: it must return a non-empty string identifying the business event`,
    );
  }
  return key;
}

function payloadHash(body: Buffer): Buffer {
  return createHash('sha256').update(body).digest();
}

function asIdemError(error: unknown): IdemError {
  return error instanceof IdemError
    ? error
    : new IdemError('INTERNAL_ERROR', `preparing the message failed: ${String(error)}`, { cause: error });
}
