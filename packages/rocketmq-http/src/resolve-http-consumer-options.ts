import { type DatabaseUnavailableAtStart, type DispatchMode, IdemError, type Processor } from '@idem/core';
import type { HttpConsumerOptions } from './http-consumer-options.js';
import { MAX_MESSAGES_PER_REQUEST } from './rocketmq-http-source.js';

/** The consumer options after validation, with their defaults. */
export interface ResolvedHttpConsumerOptions {
  readonly endpoint: string;
  readonly instanceId: string;
  readonly ordered: boolean;
  readonly waitSeconds: number;
  readonly batchSize: number | undefined;
  readonly mode: DispatchMode;
  readonly onDatabaseUnavailableAtStart: DatabaseUnavailableAtStart | undefined;
}

const DEFAULT_WAIT_SECONDS = 10;
const MAX_WAIT_SECONDS = 30;
// The SDK writes topic, group and instance id into the URL without escaping them.
const URL_SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Checks the options {@link createHttpConsumer} adds to the processor's, and fails fast with an
 * `INVALID_CONFIGURATION` error naming the option and how to fix it. Credential values are never
 * part of a message.
 */
export function resolveHttpConsumerOptions<DB>(
  options: HttpConsumerOptions<DB>,
): ResolvedHttpConsumerOptions {
  const endpoint = typeof options.endpoint === 'string' ? options.endpoint.trim().replace(/\/+$/, '') : '';
  if (!/^https?:\/\/[^\s/?#@]+$/.test(endpoint)) {
    const shown =
      typeof options.endpoint === 'string' && !options.endpoint.includes('@')
        ? JSON.stringify(options.endpoint)
        : 'a value that is not one (not shown: it may hold credentials)';
    throw invalid(
      `option endpoint must be the instance's HTTP endpoint, "http://host[:port]" or "https://host[:port]" without a path (e.g. "http://1234567890.mqrest.cn-hangzhou.aliyuncs.com"), got ${shown}`,
    );
  }
  requireCredential('accessKeyId', options.accessKeyId);
  requireCredential('accessKeySecret', options.accessKeySecret);
  if (options.securityToken !== undefined) requireCredential('securityToken', options.securityToken);
  const instanceId = options.instanceId ?? '';
  if (typeof instanceId !== 'string' || (instanceId !== '' && !URL_SAFE_NAME.test(instanceId))) {
    throw invalid(
      `option instanceId must be the instance id shown in the console (letters, digits, "_", "-", e.g. "MQ_INST_1234567890_BXYZ"), got ${JSON.stringify(instanceId)}`,
    );
  }
  if (options.ordered !== undefined && typeof options.ordered !== 'boolean') {
    throw invalid(`option ordered must be true or false, got ${JSON.stringify(options.ordered)}`);
  }
  const waitSeconds = options.waitSeconds ?? DEFAULT_WAIT_SECONDS;
  if (!Number.isInteger(waitSeconds) || waitSeconds < 1 || waitSeconds > MAX_WAIT_SECONDS) {
    throw invalid(
      `option waitSeconds must be an integer from 1 to ${MAX_WAIT_SECONDS} (the long poll of one consume), got ${JSON.stringify(waitSeconds)}`,
    );
  }
  const { batchSize } = options;
  if (
    batchSize !== undefined &&
    (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_MESSAGES_PER_REQUEST)
  ) {
    throw invalid(
      `option batchSize must be an integer from 1 to ${MAX_MESSAGES_PER_REQUEST} (the service returns at most ${MAX_MESSAGES_PER_REQUEST} messages per consume), got ${JSON.stringify(batchSize)}`,
    );
  }
  const mode = options.mode ?? 'single';
  if (mode !== 'single' && mode !== 'batch') {
    throw invalid(`option mode must be 'single' or 'batch', got ${JSON.stringify(mode)}`);
  }
  const { shutdownTimeoutMs } = options;
  if (shutdownTimeoutMs !== undefined && !(Number.isFinite(shutdownTimeoutMs) && shutdownTimeoutMs >= 0)) {
    throw invalid(
      `option shutdownTimeoutMs must be a number of milliseconds >= 0, got ${JSON.stringify(shutdownTimeoutMs)}`,
    );
  }
  if (options.onEvent !== undefined && typeof options.onEvent !== 'function') {
    throw invalid('option onEvent must be a function');
  }
  const { onDatabaseUnavailableAtStart } = options;
  if (
    onDatabaseUnavailableAtStart !== undefined &&
    onDatabaseUnavailableAtStart !== 'wait' &&
    onDatabaseUnavailableAtStart !== 'fail'
  ) {
    throw invalid(
      `option onDatabaseUnavailableAtStart must be 'wait' or 'fail', got ${JSON.stringify(onDatabaseUnavailableAtStart)}`,
    );
  }
  return {
    endpoint,
    instanceId,
    ordered: options.ordered ?? false,
    waitSeconds,
    batchSize,
    mode,
    onDatabaseUnavailableAtStart,
  };
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

function requireCredential(name: string, value: unknown): void {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(
      `option ${name} must be a non-empty string (from the ApsaraMQ console or your secret store); got ${
        value === undefined ? 'none' : typeof value === 'string' ? 'an empty string' : `a ${typeof value}`
      }`,
    );
  }
}

function invalid(message: string): IdemError {
  return new IdemError('INVALID_CONFIGURATION', message);
}
