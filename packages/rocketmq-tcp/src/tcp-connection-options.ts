import { IdemError } from '@idem/core';

/**
 * Access-key credentials, as ApsaraMQ for RocketMQ 5 instances require.
 *
 * @deprecated Pass `accessKeyId`, `accessKeySecret` and `securityToken` beside `endpoint`, as
 * `@idem/rocketmq-http` takes them. Removed in the next minor version.
 */
export interface TcpCredentials {
  readonly accessKey: string;
  readonly accessSecret: string;
  readonly securityToken?: string;
}

/**
 * Where and how to reach a RocketMQ 5 proxy over gRPC: the options `createTcpConsumer` and
 * `createTcpProducer` share. Names follow `@idem/rocketmq-http`'s for the same concepts.
 */
export interface TcpConnectionOptions {
  /** The proxy's gRPC endpoint, `host:port` (one address). Required (or its old name `endpoints`). */
  readonly endpoint?: string;
  /** @deprecated Renamed `endpoint` (it is one address). Removed in the next minor version. */
  readonly endpoints?: string;
  /** RocketMQ namespace: the instance id on ApsaraMQ. Default none. */
  readonly namespace?: string;
  /** AccessKey id, for instances that require credentials (ApsaraMQ). Default none. */
  readonly accessKeyId?: string;
  /** Its secret; it signs every request and never appears in a log line or error message. */
  readonly accessKeySecret?: string;
  /** STS security token, when the key is a temporary one. */
  readonly securityToken?: string;
  /** @deprecated Pass `accessKeyId`, `accessKeySecret` and `securityToken` instead. */
  readonly credentials?: TcpCredentials;
  /** TLS to the proxy. Default false. */
  readonly tls?: boolean;
  /** `start()` gives up after this long (the client can wait forever for settings). Default 15 s. */
  readonly startupTimeoutMs?: number;
}

/** The connection options checked, in the shape rocketmq-client-nodejs takes. */
export interface ResolvedTcpConnection {
  readonly endpoints: string;
  readonly namespace: string;
  readonly credentials: { accessKey: string; accessSecret: string; securityToken?: string } | undefined;
  readonly tls: boolean;
  readonly startupTimeoutMs: number;
  /** What must never reach a log line: give it to `createRedactingLogger`. */
  readonly secrets: readonly string[];
}

/**
 * Checks the connection options of a consumer or producer and resolves their defaults and old
 * spellings.
 *
 * @throws IdemError `INVALID_CONFIGURATION` naming the option; credential values are never shown.
 */
export function resolveTcpConnection(options: TcpConnectionOptions): ResolvedTcpConnection {
  const endpoint = options.endpoint ?? options.endpoints;
  if (typeof endpoint !== 'string' || !/^[^\s;,]+$/.test(endpoint)) {
    throw invalid(
      `option endpoint must be one "host:port" of the RocketMQ proxy's gRPC port (e.g. "127.0.0.1:8081"), got ${JSON.stringify(endpoint)}`,
    );
  }
  const credentials = resolveCredentials(options);
  return {
    endpoints: endpoint,
    namespace: options.namespace ?? '',
    credentials,
    tls: options.tls ?? false,
    startupTimeoutMs: options.startupTimeoutMs ?? 15_000,
    secrets: credentials === undefined ? [] : [credentials.accessSecret, credentials.securityToken ?? ''],
  };
}

function resolveCredentials(options: TcpConnectionOptions): ResolvedTcpConnection['credentials'] {
  const flat = [options.accessKeyId, options.accessKeySecret, options.securityToken];
  if (options.credentials !== undefined) {
    if (flat.some((value) => value !== undefined)) {
      throw invalid('give accessKeyId and accessKeySecret, or the deprecated credentials, not both');
    }
    const { accessKey, accessSecret, securityToken } = options.credentials;
    return credentialsOf(
      ['credentials.accessKey', accessKey],
      ['credentials.accessSecret', accessSecret],
      securityToken,
    );
  }
  if (flat.every((value) => value === undefined)) return undefined;
  return credentialsOf(
    ['accessKeyId', options.accessKeyId],
    ['accessKeySecret', options.accessKeySecret],
    options.securityToken,
  );
}

function credentialsOf(
  id: readonly [string, unknown],
  secret: readonly [string, unknown],
  securityToken: unknown,
): NonNullable<ResolvedTcpConnection['credentials']> {
  const accessKey = requireText(...id);
  const accessSecret = requireText(...secret);
  if (securityToken === undefined) return { accessKey, accessSecret };
  return { accessKey, accessSecret, securityToken: requireText('securityToken', securityToken) };
}

function requireText(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw invalid(
      `option ${name} must be a non-empty string (from the console or your secret store); got ${
        value === undefined ? 'none' : typeof value === 'string' ? 'an empty string' : `a ${typeof value}`
      }`,
    );
  }
  return value;
}

function invalid(message: string): IdemError {
  return new IdemError('INVALID_CONFIGURATION', message);
}
