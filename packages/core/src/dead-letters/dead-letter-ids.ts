import { IdemError } from '../errors.js';

/**
 * Rejects an id that is not a dead letter's row id (a positive bigint), before it reaches SQL.
 *
 * @throws IdemError `INVALID_CONFIGURATION`.
 */
export function assertDeadLetterId(id: string): void {
  if (!/^[1-9]\d{0,18}$/.test(id)) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `dead letter id ${JSON.stringify(id)} is not a row id (a positive integer)`,
    );
  }
}

/**
 * What an operation on dead letters acts on: `all`, or the distinct valid `ids`; exactly one of
 * the two must be given, so a forgotten `ids` can never widen to every dead letter.
 *
 * @throws IdemError `INVALID_CONFIGURATION`.
 */
export function selectedIds(options: {
  readonly ids?: readonly string[];
  readonly all?: boolean;
}): string[] | 'all' {
  const hasIds = options.ids !== undefined && options.ids.length > 0;
  if (hasIds === (options.all === true)) {
    throw new IdemError('INVALID_CONFIGURATION', 'give dead letter ids, or all: true (not both)');
  }
  if (options.all === true) return 'all';
  const ids = [...new Set(options.ids)];
  for (const id of ids) assertDeadLetterId(id);
  return ids;
}
