import type { Kysely } from 'kysely';
import { assertSchemaName } from '../schema-name.js';
import type { IdemTables } from '../store/idem-tables.js';

/**
 * The user's database seen as Idem's tables in `schema`, for kysely's typed builder: every
 * column a dead-letter statement names is checked against {@link IdemTables} at compile time.
 * The schema name is validated first, so a bad one fails with `INVALID_CONFIGURATION`. The
 * user's plugins are left out: one that renames columns or results (`CamelCasePlugin`) would
 * change what Idem reads and writes.
 */
export function idemTablesIn<DB>(db: Kysely<DB>, schema: string): Kysely<IdemTables> {
  assertSchemaName(schema);
  return (db as unknown as Kysely<IdemTables>).withoutPlugins().withSchema(schema);
}
