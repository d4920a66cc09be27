import type { LogFields, Logger } from '../logger.js';
import { redactSecrets } from './redact-secrets.js';

/**
 * Wraps a logger so no given secret (an access key secret, a database password) reaches it:
 * every message and every field value, deep, passes through {@link redactSecrets} first.
 * Every consumer wraps the user's logger with it for its transport's secrets (`createConsumer`'s
 * `secrets`, which both adapters pass), and so do both adapters' producers; wrap yours for other
 * secrets, such as the database password.
 *
 * @example
 * ```ts
 * const logger = createRedactingLogger(pino(), [accessKeySecret, ...secretsInUrl(databaseUrl)]);
 * ```
 */
export function createRedactingLogger(logger: Logger, secrets: readonly string[]): Logger {
  const kept = secrets.filter((secret) => typeof secret === 'string' && secret !== '');
  if (kept.length === 0) return logger;
  const fieldsOf = (fields: LogFields): LogFields => redactSecrets(fields, kept) as LogFields;
  return {
    debug: (fields, message) => logger.debug(fieldsOf(fields), redactSecrets(message, kept)),
    info: (fields, message) => logger.info(fieldsOf(fields), redactSecrets(message, kept)),
    warn: (fields, message) => logger.warn(fieldsOf(fields), redactSecrets(message, kept)),
    error: (fields, message) => logger.error(fieldsOf(fields), redactSecrets(message, kept)),
  };
}
