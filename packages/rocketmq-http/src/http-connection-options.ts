import { IdemError } from '@idem/core';

/**
 * Where and how to reach ApsaraMQ for RocketMQ's HTTP API: the options `createHttpConsumer` and
 * `createHttpProducer` share. Names follow `@idem/rocketmq-tcp`'s for the same concepts.
 */
export interface HttpConnectionOptions {
  /**
   * The instance's HTTP endpoint, `http(s)://host[:port]` without a path, e.g.
   * `http://1234567890.mqrest.cn-hangzhou.aliyuncs.com`. A trailing `/` is removed.
   */
  readonly endpoint: string;
  /** AccessKey id of an account or RAM user allowed to use the topics. */
  readonly accessKeyId: string;
  /** Its secret; it signs every request and never appears in a log line or error message. */
  readonly accessKeySecret: string;
  /** STS security token, when the key is a temporary one. */
  readonly securityToken?: string;
  /**
   * The instance id (`MQ_INST_...`), the API's namespace (`ns`), for endpoints that serve
   * several instances. Default none.
   */
  readonly namespace?: string;
  /** @deprecated Renamed `namespace`, as in `@idem/rocketmq-tcp`. Removed in the next minor version. */
  readonly instanceId?: string;
}

/** The connection options checked, with their defaults. */
export interface ResolvedHttpConnection {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken: string | undefined;
  /** `''` when the endpoint serves one instance without namespaces. */
  readonly instanceId: string;
  /** What must never reach a log line: give it to `createRedactingLogger`. */
  readonly secrets: readonly string[];
}

/** The SDK writes topic, group and instance id into the URL without escaping them. */
export const URL_SAFE_NAME = /^[A-Za-z0-9_.-]+$/;

/**
 * Checks the connection options of a consumer or producer and fails fast with an
 * `INVALID_CONFIGURATION` error naming the option and how to fix it. Credential values are never
 * part of a message.
 */
export function resolveHttpConnection(options: HttpConnectionOptions): ResolvedHttpConnection {
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
  const [name, instanceId] =
    options.namespace === undefined
      ? ['instanceId', options.instanceId ?? '']
      : ['namespace', options.namespace];
  if (typeof instanceId !== 'string' || (instanceId !== '' && !URL_SAFE_NAME.test(instanceId))) {
    throw invalid(
      `option ${name} must be the instance id shown in the console (letters, digits, "_", "-", e.g. "MQ_INST_1234567890_BXYZ"), got ${JSON.stringify(instanceId)}`,
    );
  }
  return {
    endpoint,
    accessKeyId: options.accessKeyId,
    accessKeySecret: options.accessKeySecret,
    securityToken: options.securityToken,
    instanceId,
    secrets: [options.accessKeySecret, options.securityToken ?? '', options.accessKeyId],
  };
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
