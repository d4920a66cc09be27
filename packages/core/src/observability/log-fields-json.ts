import type { LogFields } from '../logger.js';

/**
 * Writes log fields as one line of JSON, errors included: Idem passes errors as objects under
 * `err` (pino's serializer key) so a JSON logger keeps their stack and cause, but plain
 * `JSON.stringify` writes an `Error` as `{}`. Here each error becomes `{ type, message, code?,
 * stack, cause? }`, as pino's would. Never throws: a field that cannot be written (a cycle, a
 * BigInt) turns the line into `{"fields":"(not serialisable)"}`. For loggers that are not pino.
 *
 * @example
 * ```ts
 * const logger: Logger = { ...silentLogger, warn: (fields, message) => console.warn(`${message} ${logFieldsJson(fields)}`) };
 * ```
 */
export function logFieldsJson(fields: LogFields): string {
  try {
    return JSON.stringify(fields, (_key, value: unknown) =>
      value instanceof Error ? errorJson(value) : value,
    );
  } catch {
    return '{"fields":"(not serialisable)"}';
  }
}

function errorJson(error: Error): Record<string, unknown> {
  const { code } = error as { code?: unknown };
  return {
    type: error.name,
    message: error.message,
    ...(code === undefined ? {} : { code }),
    stack: error.stack,
    ...(error.cause === undefined ? {} : { cause: error.cause }),
  };
}
