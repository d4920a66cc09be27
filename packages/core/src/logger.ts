/** Structured fields of a log line (message id, key, consumer group, outcome, ...). */
export type LogFields = Readonly<Record<string, unknown>>;

/**
 * The logger Idem writes to: a subset of pino's API, so a pino logger fits as it is.
 *
 * Idem logs one line per outage start and end, never one per retry.
 */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

/** A logger that drops everything; the default. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
