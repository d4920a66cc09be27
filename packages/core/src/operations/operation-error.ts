import { classifyOwnStatementError, isInsufficientPrivilege } from '../classify-database-error.js';
import { IdemError, toError } from '../errors.js';

/**
 * Turns a failure of an operations statement into a coded {@link IdemError}: a missing privilege
 * becomes `PERMISSION_DENIED` naming what was being done, everything else is classified like the
 * processor's own statements (unreachable, not migrated, ...).
 */
export function toOperationError(error: unknown, schema: string, doing: string): IdemError {
  if (error instanceof IdemError) return error;
  const err = toError(error);
  if (isInsufficientPrivilege(err)) {
    return new IdemError(
      'PERMISSION_DENIED',
      `the database role may not ${doing} (${err.message}): grant the privilege (see docs/operations.md, "Least-privilege roles") or run \`idem doctor\` to list what is missing`,
      { cause: err },
    );
  }
  const classified = classifyOwnStatementError(err, schema);
  return new IdemError(classified.code, `could not ${doing}: ${classified.message}`, {
    retryable: classified.retryable,
    cause: err,
  });
}
