import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} from 'kysely';
import { idemMigrations } from '#migrations';
import { IdemError } from './errors.js';
import { MIGRATION_LOCK_TABLE, MIGRATION_TABLE, type MigrateOptions } from './migrate.js';
import { assertSchemaName, DEFAULT_SCHEMA } from './schema-name.js';

/**
 * The SQL of every Idem migration, for DBAs who apply schema changes themselves: one script that
 * creates Idem's tables and records each migration in Idem's migration table exactly as
 * `migrateToLatest` would, so a later `idem migrate` (or a consumer's start-up check) sees them
 * applied. Runs in one transaction. Needs no database: the statements are compiled, not run.
 *
 * @example
 * ```ts
 * import { writeFile } from 'node:fs/promises';
 * await writeFile('idem-schema.sql', await migrationSql({ schema: 'idem' }));
 * ```
 */
export async function migrationSql(options: MigrateOptions = {}): Promise<string> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertSchemaName(schema);
  const statements: string[] = [];
  // A kysely whose driver runs nothing: every query the migrations issue is compiled and logged.
  const recorder = new Kysely<unknown>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new PostgresIntrospector(db),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    log(event) {
      if (event.level !== 'query') return;
      if (event.query.parameters.length > 0) {
        // Parameters cannot be printed faithfully as literals; no migration uses them today.
        throw new IdemError(
          'INTERNAL_ERROR',
          `a migration statement has bound parameters and cannot be printed: ${event.query.sql}`,
        );
      }
      statements.push(event.query.sql);
    },
  });
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(recorder);
    // The same bookkeeping tables kysely's Migrator creates, so it recognises this history.
    await recorder.schema
      .withSchema(schema)
      .createTable(MIGRATION_TABLE)
      .ifNotExists()
      .addColumn('name', 'varchar(255)', (c) => c.notNull().primaryKey())
      .addColumn('timestamp', 'varchar(255)', (c) => c.notNull())
      .execute();
    await recorder.schema
      .withSchema(schema)
      .createTable(MIGRATION_LOCK_TABLE)
      .ifNotExists()
      .addColumn('id', 'varchar(255)', (c) => c.notNull().primaryKey())
      .addColumn('is_locked', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    statements.push(
      `insert into ${quote(schema)}.${quote(MIGRATION_LOCK_TABLE)} ("id", "is_locked") values ('migration_lock', 0) on conflict do nothing`,
    );
    for (const [name, migration] of Object.entries(idemMigrations(schema))) {
      statements.push(`-- ${name}`);
      await migration.up(recorder);
      statements.push(
        `insert into ${quote(schema)}.${quote(MIGRATION_TABLE)} ("name", "timestamp") values ('${name}', to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))`,
      );
    }
  } finally {
    await recorder.destroy();
  }
  const body = statements.map((statement) => (statement.startsWith('--') ? statement : `${statement};`));
  return [
    `-- Idem's schema "${schema}": every migration, and its record in Idem's migration table.`,
    'begin;',
    ...body,
    'commit;',
    '',
  ].join('\n');
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
