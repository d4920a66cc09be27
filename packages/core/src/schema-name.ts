import { IdemError } from './errors.js';

/** The Postgres schema of Idem's tables unless configured otherwise. */
export const DEFAULT_SCHEMA = 'idem';

/**
 * Accepts plain lower-case identifiers only, so the name needs no quoting anywhere (SQL, CLI,
 * psql) and cannot smuggle SQL into DDL.
 */
export function assertSchemaName(schema: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `schema name ${JSON.stringify(schema)} is not allowed: use lower-case letters, digits and underscores, starting with a letter or underscore`,
    );
  }
}
