import { UnexpectedAnswerError } from './mq-http-client.js';

/**
 * What an SDK failure means for a consumer:
 * - `empty`: `MessageNotExist`, the service's normal answer to a long poll that found nothing;
 * - `credentials`: the access key is unknown, the secret wrong, or the key lacks permission;
 * - `configuration`: the topic, group or instance does not exist, or a parameter is refused;
 * - `unavailable`: anything else (connection refused or reset, timeouts, 5xx with or without
 *   XML, `TimeExpired`, `QpsLimitExceeded`, an unreadable answer): try again later.
 */
export type SdkFailureKind = 'empty' | 'credentials' | 'configuration' | 'unavailable';

/** A classified SDK failure with a description safe to log. */
export interface SdkFailure {
  readonly kind: SdkFailureKind;
  /** The service's error code (`SignatureDoesNotMatch`) or the socket's (`ECONNRESET`), if any. */
  readonly code: string | undefined;
  /** What went wrong, credentials removed. */
  readonly detail: string;
}

const CREDENTIAL_CODES = new Set([
  'SignatureDoesNotMatch',
  'AccessDenied',
  'InvalidAccessKeyId',
  'InvalidSecurityToken',
  'SecurityTokenExpired',
]);
const CONFIGURATION_CODES = new Set([
  'TopicNotExist',
  'ConsumerNotExist',
  'GroupNotExist',
  'SubscriptionNotExist',
  'InstanceNotExist',
  'NamespaceNotExist',
  'InvalidArgument',
]);

/**
 * Sorts what the SDK threw. The SDK sets `.Code` on errors the service answered in XML and
 * leaves socket errors with Node's `.code`; it throws a TypeError when an answer lacks the XML
 * it expects. `redact` removes the credentials from any text that could reach a log.
 */
export function classifySdkError(error: unknown, redact: (text: string) => string): SdkFailure {
  const serviceCode = stringProperty(error, 'Code');
  const socketCode = stringProperty(error, 'code');
  const message = error instanceof Error ? error.message : String(error);
  if (serviceCode !== undefined) {
    const kind = serviceCode.includes('MessageNotExist')
      ? 'empty'
      : CREDENTIAL_CODES.has(serviceCode)
        ? 'credentials'
        : CONFIGURATION_CODES.has(serviceCode)
          ? 'configuration'
          : 'unavailable';
    return { kind, code: serviceCode, detail: redact(describeServiceError(message, serviceCode)) };
  }
  if (error instanceof UnexpectedAnswerError) {
    return {
      kind: 'unavailable',
      code: `HTTP ${error.status}`,
      detail: redact(
        `${error.message}${error.requestId === undefined ? '' : `, RequestId ${error.requestId}`}`,
      ),
    };
  }
  if (error instanceof TypeError) {
    return {
      kind: 'unavailable',
      code: undefined,
      detail: redact(`the answer was not the MQ HTTP API's XML (${message})`),
    };
  }
  const name = error instanceof Error && error.name !== 'Error' ? error.name : undefined;
  const label = socketCode ?? name;
  // httpx glues "<METHOD> <url> failed." onto socket errors, without a space; the caller says what failed.
  const text = message.replace(/\s*(GET|POST|DELETE|PUT|HEAD) https?:\/\/\S+ failed\.$/, '').trim();
  return {
    kind: 'unavailable',
    code: label,
    detail: redact(label === undefined || text.includes(label) ? text : `${label}: ${text}`),
  };
}

/** `Code (HTTP status, RequestId id): message` out of the SDK's "<url> failed with ..." text. */
function describeServiceError(message: string, code: string): string {
  const parts = /failed with (\d+)\. RequestId: (.*?), ErrorCode: .*?, ErrorMsg: (.*)$/s.exec(message);
  if (parts === null) return message;
  const [, status, requestId, text] = parts;
  return `${code} (HTTP ${status}, RequestId ${requestId}): ${(text ?? '').replace(/\.+$/, '')}`;
}

/** A function that replaces every occurrence of the given secrets with `[redacted]`. */
export function redactor(secrets: readonly (string | undefined)[]): (text: string) => string {
  const present = secrets.filter((secret): secret is string => secret !== undefined && secret !== '');
  return (text) => present.reduce((redacted, secret) => redacted.split(secret).join('[redacted]'), text);
}

function stringProperty(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null || !(key in value)) return undefined;
  const property: unknown = (value as Record<string, unknown>)[key];
  return typeof property === 'string' && property !== '' ? property : undefined;
}
