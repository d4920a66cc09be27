import type { Migration } from 'kysely/migration';
import { claimFunction, LAYOUT_0006 } from './processed-message-functions.js';
import { statementsMigration } from './run-statements.js';

/**
 * The claim inserts its keys with a plain insert instead of `ON CONFLICT DO NOTHING`
 * (`ClaimInsertForm` says why that is safe). Replacing the function is atomic: a claim that
 * started before runs the old body to its end, every later one runs the new body.
 */
export function plainClaimInsert(schema: string): Migration {
  return statementsMigration(
    [claimFunction(schema, LAYOUT_0006, 'plain')],
    [claimFunction(schema, LAYOUT_0006, 'speculative')],
  );
}
