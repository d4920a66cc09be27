import { type RawBuilder, sql } from 'kysely';
import { assertSchemaName } from '../schema-name.js';

/** The Idem tables the operations read and write. */
export type IdemTableName =
  | 'processed_keys'
  | 'processed_messages'
  | 'processed_message_slices'
  | 'dead_letters'
  | 'quarantined_groups'
  | 'idem_migration';

/**
 * A schema-qualified reference to one of Idem's tables for raw SQL. Validates the schema name,
 * so nothing unquoted from the caller reaches the statement.
 */
export function idemTable(schema: string, table: IdemTableName): RawBuilder<unknown> {
  assertSchemaName(schema);
  return sql.table(`${schema}.${table}`);
}
