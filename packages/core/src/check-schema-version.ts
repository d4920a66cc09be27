import { type Kysely, sql } from 'kysely';
import { idemMigrations } from '#migrations';
import { classifyOwnStatementError } from './classify-database-error.js';
import { IdemError } from './errors.js';
import { idemTable } from './operations/idem-table.js';
import { RUNTIME_TABLE_PRIVILEGES } from './operations/runtime-privileges.js';

const MIGRATION_TABLE = 'idem_migration';

/**
 * Checks that Idem's schema is at the version this `@idem/core` needs: every migration it ships
 * has run and every table the consumers use exists. Resolves to `undefined` when it is, to a
 * `SCHEMA_NOT_MIGRATED` {@link IdemError} naming the schema, what is missing and the command
 * that fixes it when not, or to the classified error when the database cannot be asked
 * (`DATABASE_UNAVAILABLE`).
 *
 * Reads the catalogs first, so a runtime role without SELECT on `idem_migration` (it is
 * optional, see docs/operations.md) still gets the table check; the version is then unknown.
 */
export async function checkSchemaVersion<DB>(
  userDb: Kysely<DB>,
  schema: string,
): Promise<IdemError | undefined> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  const conn = db as unknown as Kysely<unknown>;
  try {
    const required = [...Object.keys(RUNTIME_TABLE_PRIVILEGES), MIGRATION_TABLE];
    const found = await sql<{ schema_exists: boolean; table_name: string | null; readable: boolean | null }>`
      select n.oid is not null as schema_exists, c.relname as table_name,
             has_schema_privilege(n.oid, 'USAGE') and has_table_privilege(c.oid, 'SELECT') as readable
      from (select ${schema}::text as nspname) wanted
      left join pg_namespace n on n.nspname = wanted.nspname
      left join pg_class c on c.relnamespace = n.oid and c.relname in (${sql.join(required)})`.execute(conn);
    const existing = found.rows.flatMap((row) => (row.table_name === null ? [] : [row.table_name]));
    const fix = howToMigrate(schema);
    if (found.rows[0]?.schema_exists !== true) {
      return notMigrated(`Idem's tables are missing: schema "${schema}" does not exist. ${fix}`);
    }
    if (existing.length === 0) {
      return notMigrated(`Idem's tables are missing: schema "${schema}" has none of them. ${fix}`);
    }
    const migrationTable = found.rows.find((row) => row.table_name === MIGRATION_TABLE);
    if (migrationTable?.readable === true) {
      const applied = await sql<{ name: string }>`select name from ${idemTable(schema, MIGRATION_TABLE)}`
        .execute(conn)
        .then((result) => result.rows.map((row) => row.name));
      const pending = Object.keys(idemMigrations(schema)).filter((name) => !applied.includes(name));
      if (pending.length > 0) {
        return notMigrated(
          `schema "${schema}" is older than this version of Idem needs: migration(s) ${pending.join(', ')} not applied (applied: ${applied.length === 0 ? 'none' : applied.sort().join(', ')}). ${fix}`,
        );
      }
    }
    const missing = Object.keys(RUNTIME_TABLE_PRIVILEGES).filter((table) => !existing.includes(table));
    if (missing.length > 0) {
      return notMigrated(
        `Idem's table(s) ${missing.map((table) => `${schema}.${table}`).join(', ')} are missing in schema "${schema}". ${fix} (if its migrations are recorded as applied, the tables were dropped since: restore them from a backup)`,
      );
    }
    return undefined;
  } catch (error) {
    return classifyOwnStatementError(error, schema);
  }
}

function howToMigrate(schema: string): string {
  return `Run \`idem migrate --schema ${schema}\` (or migrateToLatest(db, { schema: '${schema}' })) as the schema's owner before starting the consumer`;
}

function notMigrated(message: string): IdemError {
  // Retryable: nothing about the consumer has to change, only the database (a migration job
  // running alongside the deployment fixes it).
  return new IdemError('SCHEMA_NOT_MIGRATED', message, { retryable: true });
}
