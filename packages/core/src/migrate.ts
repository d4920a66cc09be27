import type { Kysely } from 'kysely';
import { type MigrationResult, type MigrationResultSet, Migrator } from 'kysely/migration';
import { idemMigrations } from '#migrations';
import { classifyDatabaseError } from './classify-database-error.js';
import { IdemError, toError } from './errors.js';
import { assertSchemaName, DEFAULT_SCHEMA } from './schema-name.js';

/** Options of the migration functions. */
export interface MigrateOptions {
  /** The Postgres schema of Idem's tables (created when missing). Default `idem`. */
  readonly schema?: string;
}

/** One migration that ran (or failed) in a call. */
export interface MigrationStep {
  readonly name: string;
  readonly direction: 'Up' | 'Down';
  readonly status: 'Success' | 'Error' | 'NotExecuted';
}

/** One known migration and whether it has run. */
export interface MigrationState {
  readonly name: string;
  readonly executedAt: Date | undefined;
}

/**
 * Brings Idem's tables to the latest version. Safe to call at every start and from several
 * processes at once: kysely's migrator takes a lock, and finished migrations are skipped.
 *
 * Idem's migration history lives in its own tables (`idem_migration`, `idem_migration_lock`) in
 * Idem's schema, never in your application's `kysely_migration`.
 *
 * @throws IdemError `DATABASE_UNAVAILABLE` when Postgres cannot be reached or the connection is
 * lost (retryable: each migration runs in a transaction, so running again resumes where it
 * stopped), `MIGRATION_FAILED` naming the migration and the database's error otherwise.
 */
export async function migrateToLatest<DB>(
  userDb: Kysely<DB>,
  options: MigrateOptions = {},
): Promise<MigrationStep[]> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  return await run(() => migrator(db, options).migrateToLatest());
}

/** Runs the next pending migration, if any. */
export async function migrateUp<DB>(
  userDb: Kysely<DB>,
  options: MigrateOptions = {},
): Promise<MigrationStep[]> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  return await run(() => migrator(db, options).migrateUp());
}

/** Reverts the latest migration that ran. Reverting the first one drops Idem's tables and their data. */
export async function migrateDown<DB>(
  userDb: Kysely<DB>,
  options: MigrateOptions = {},
): Promise<MigrationStep[]> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  return await run(() => migrator(db, options).migrateDown());
}

/** Every known migration with when it ran, oldest first. */
export async function migrationStatus<DB>(
  userDb: Kysely<DB>,
  options: MigrateOptions = {},
): Promise<MigrationState[]> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  try {
    // Reading the state lists the tables of every schema too, and races a concurrent DROP the
    // same way a migration does (see run()): it only reads, so trying again is always safe.
    for (let attempt = 1; ; attempt += 1) {
      try {
        const migrations = await migrator(db, options).getMigrations();
        return migrations.map((migration) => ({ name: migration.name, executedAt: migration.executedAt }));
      } catch (error) {
        if (!racedWithDrop(error) || attempt === 8) throw error;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
      }
    }
  } catch (error) {
    throw (
      unreachable(error, 'cannot read the migration state') ??
      new IdemError('MIGRATION_FAILED', `could not read the migration state: ${(error as Error).message}`, {
        cause: error,
      })
    );
  }
}

/** Idem's migration history table, in Idem's schema (never the application's `kysely_migration`). */
export const MIGRATION_TABLE = 'idem_migration';
/** The lock row table kysely's migrator uses so that only one process migrates at a time. */
export const MIGRATION_LOCK_TABLE = 'idem_migration_lock';

function migrator<DB>(db: Kysely<DB>, options: MigrateOptions): Migrator {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertSchemaName(schema);
  return new Migrator({
    db: db as Kysely<unknown>,
    provider: { getMigrations: async () => idemMigrations(schema) },
    migrationTableSchema: schema,
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
  });
}

// Before it runs anything, kysely's migrator looks up the tables of every schema by name; a
// schema or table another session drops during that lookup fails it with 3F000, 42P01 or
// 42703 (or XX000 "cache lookup failed"). Nothing ran yet then, so trying again is safe. (Seen with parallel tests; possible in
// production when another service shares the database.)
async function run(migrate: () => Promise<MigrationResultSet>): Promise<MigrationStep[]> {
  for (let attempt = 1; ; attempt += 1) {
    const resultSet = await migrate();
    const nothingRan = (resultSet.results ?? []).every((result) => result.status === 'NotExecuted');
    if (!nothingRan || !racedWithDrop(resultSet.error) || attempt === 8) return unwrap(resultSet);
    // A short, growing pause: the other session's DROP commits meanwhile.
    await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
  }
}

/** Errors of a catalog lookup that raced with a concurrent DROP (the object vanished mid-query). */
function racedWithDrop(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  if (code === '3F000' || code === '42P01' || code === '42703') return true;
  // XX000 "cache lookup failed for relation ...": pg_catalog rows read before the DROP committed.
  return code === 'XX000' && typeof message === 'string' && message.includes('cache lookup failed');
}

function unwrap({ error, results = [] }: MigrationResultSet): MigrationStep[] {
  const steps = results.map((result: MigrationResult) => ({
    name: result.migrationName,
    direction: result.direction,
    status: result.status,
  }));
  if (error !== undefined) {
    const failed = steps.find((step) => step.status === 'Error');
    const notReached = unreachable(
      error,
      failed === undefined ? 'cannot migrate' : `cannot migrate: ${failed.name} was rolled back`,
    );
    if (notReached !== undefined) throw notReached;
    throw new IdemError(
      'MIGRATION_FAILED',
      `migration ${failed?.name ?? '(before any migration ran)'} failed: ${
        error instanceof Error ? error.message : String(error)
      }`,
      { cause: error },
    );
  }
  return steps;
}

/**
 * A connection failure is the database's state, not a fault of a migration: it gets the code
 * operators and retry loops already branch on for an unreachable Postgres.
 */
function unreachable(error: unknown, doing: string): IdemError | undefined {
  if (classifyDatabaseError(error)?.code !== 'DATABASE_UNAVAILABLE') return undefined;
  return new IdemError(
    'DATABASE_UNAVAILABLE',
    `${doing}: Postgres is unreachable (${toError(error).message}); check the database URL and that the server runs, then try again`,
    { retryable: true, cause: error },
  );
}
