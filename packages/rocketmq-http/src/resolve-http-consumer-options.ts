import { IdemError, type Processor } from '@idem/core';
import {
  type ResolvedHttpConnection,
  resolveHttpConnection,
  URL_SAFE_NAME,
} from './http-connection-options.js';
import type { HttpConsumerOptions } from './http-consumer-options.js';

/** The HTTP consumer's own options after validation, with their defaults. */
export interface ResolvedHttpConsumerOptions extends ResolvedHttpConnection {
  readonly ordered: boolean;
  readonly waitSeconds: number;
}

// A consume that went out on a connection that died silently is only noticed when its long poll
// plus the margin (2 s) has passed with no answer: 5 s keeps health() honest within 10 s of such
// a fault. Idle, that costs one request per topic every 5 s; messages end a long poll at once, so
// throughput does not depend on it.
const DEFAULT_WAIT_SECONDS = 5;
const MAX_WAIT_SECONDS = 30;

/**
 * Checks the options {@link createHttpConsumer} adds to every consumer's (which `@idem/core`
 * checks), and fails fast with an `INVALID_CONFIGURATION` error naming the option and how to fix
 * it. Credential values are never part of a message.
 */
export function resolveHttpConsumerOptions<DB>(
  options: HttpConsumerOptions<DB>,
): ResolvedHttpConsumerOptions {
  const connection = resolveHttpConnection(options);
  if (options.ordered !== undefined && typeof options.ordered !== 'boolean') {
    throw invalid(`option ordered must be true or false, got ${JSON.stringify(options.ordered)}`);
  }
  return { ...connection, ordered: options.ordered ?? false, waitSeconds: waitSecondsOf(options) };
}

function waitSecondsOf(options: Pick<HttpConsumerOptions, 'longPollingTimeoutMs' | 'waitSeconds'>): number {
  const { longPollingTimeoutMs, waitSeconds } = options;
  if (longPollingTimeoutMs !== undefined) {
    if (
      typeof longPollingTimeoutMs !== 'number' ||
      !(longPollingTimeoutMs >= 1000 && longPollingTimeoutMs <= MAX_WAIT_SECONDS * 1000)
    ) {
      throw invalid(
        `option longPollingTimeoutMs must be a number of milliseconds from 1000 to ${MAX_WAIT_SECONDS * 1000} (the long poll of one consume), got ${JSON.stringify(longPollingTimeoutMs)}`,
      );
    }
    return Math.ceil(longPollingTimeoutMs / 1000);
  }
  const seconds = waitSeconds ?? DEFAULT_WAIT_SECONDS;
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > MAX_WAIT_SECONDS) {
    throw invalid(
      `option waitSeconds must be an integer from 1 to ${MAX_WAIT_SECONDS} (the long poll of one consume), got ${JSON.stringify(seconds)}`,
    );
  }
  return seconds;
}

/** Checks the names the processor resolved from the handlers: they go into URLs unescaped. */
export function checkResourceNames(processor: Processor): void {
  if (!URL_SAFE_NAME.test(processor.consumerGroup)) {
    throw invalid(
      `option consumerGroup must be a group id of letters, digits, "_", "-" or "." (e.g. "GID_billing"), got ${JSON.stringify(processor.consumerGroup)}`,
    );
  }
  for (const { topic } of processor.subscriptions) {
    if (!URL_SAFE_NAME.test(topic)) {
      throw invalid(
        `topic ${JSON.stringify(topic)} of a @Subscribe handler cannot be consumed over HTTP: topic names may hold only letters, digits, "_", "-" and "."`,
      );
    }
  }
}

function invalid(message: string): IdemError {
  return new IdemError('INVALID_CONFIGURATION', message);
}
