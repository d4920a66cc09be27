import type { LogFields, Logger } from '@idem/core';

/** One line a {@link LogRecorder} recorded. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields;
}

/** A logger that keeps every line with its fields, for assertions on what a consumer or producer logged. */
export class LogRecorder implements Logger {
  readonly lines: LogLine[] = [];

  debug(fields: LogFields, message: string): void {
    this.lines.push({ level: 'debug', message, fields });
  }
  info(fields: LogFields, message: string): void {
    this.lines.push({ level: 'info', message, fields });
  }
  warn(fields: LogFields, message: string): void {
    this.lines.push({ level: 'warn', message, fields });
  }
  error(fields: LogFields, message: string): void {
    this.lines.push({ level: 'error', message, fields });
  }

  /** Messages of the lines at `level`. */
  at(level: LogLine['level']): string[] {
    return this.lines.filter((line) => line.level === level).map((line) => line.message);
  }

  /** Lines at info, warn or error: what an operator sees with the usual log level. */
  visible(): LogLine[] {
    return this.lines.filter((line) => line.level !== 'debug');
  }

  /** Lines whose message or fields, searched deeply (errors and their causes too), contain `text`. */
  linesContaining(text: string): LogLine[] {
    return this.lines.filter((line) => deepContains(line.message, text) || deepContains(line.fields, text));
  }
}

/** True when `text` occurs in any string reachable from `value`. */
export function deepContains(value: unknown, text: string, seen = new Set<unknown>()): boolean {
  if (typeof value === 'string') return value.includes(text);
  if (typeof value !== 'object' || value === null || seen.has(value)) return false;
  seen.add(value);
  if (value instanceof Error) {
    if (deepContains(value.message, text, seen) || deepContains(value.stack ?? '', text, seen)) return true;
    if (deepContains(value.cause, text, seen)) return true;
  }
  return Object.values(value).some((entry) => deepContains(entry, text, seen));
}
