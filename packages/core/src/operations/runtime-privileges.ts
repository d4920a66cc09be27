import { type Kysely, sql } from 'kysely';
import { assertSchemaName, DEFAULT_SCHEMA } from '../schema-name.js';

/**
 * What the runtime role (the consumers' database user) needs on Idem's tables, beside USAGE on
 * the schema: claim, look up and release keys, delete expired keys (retention), and record,
 * read and resolve dead letters (the dead-letter upsert needs UPDATE).
 */
export const RUNTIME_TABLE_PRIVILEGES = {
  processed_keys: ['SELECT', 'INSERT', 'DELETE'],
  // Claims check the slices and `processed_messages`: the keys stored before the upgrade to
  // slices and those that consumers of the version before it claim during a rollout (0006).
  processed_message_slices: ['SELECT'],
  processed_messages: ['SELECT'],
  dead_letters: ['SELECT', 'INSERT', 'UPDATE'],
  // Quarantine of FIFO message groups; DELETE is for releasing a group (idem groups release).
  quarantined_groups: ['SELECT', 'INSERT', 'DELETE'],
  // The outbox: handlers insert, the relay claims (SELECT ... FOR UPDATE), marks and removes.
  outbox: ['SELECT', 'INSERT', 'UPDATE', 'DELETE'],
} as const satisfies Record<string, readonly string[]>;

/** A privilege the current role lacks, with the statement that grants it. */
export interface MissingPrivilege {
  /** `schema idem` or `idem.processed_keys`. */
  readonly on: string;
  readonly privilege: string;
  /** Run as the schema's owner. */
  readonly grant: string;
}

/** What {@link findMissingRuntimePrivileges} found. */
export interface RuntimePrivilegeCheck {
  readonly role: string;
  /** Idem's tables that do not exist (run the migrations first). */
  readonly missingTables: readonly string[];
  readonly missing: readonly MissingPrivilege[];
}

/** The GRANT statements that give `role` exactly what the consumers need on Idem's tables. */
export function runtimeGrantStatements(role: string, schema: string = DEFAULT_SCHEMA): string[] {
  assertSchemaName(schema);
  const grantee = quoteIdentifier(role);
  return [
    `GRANT USAGE ON SCHEMA ${schema} TO ${grantee};`,
    ...Object.entries(RUNTIME_TABLE_PRIVILEGES).map(
      ([table, privileges]) => `GRANT ${privileges.join(', ')} ON ${schema}.${table} TO ${grantee};`,
    ),
    // Retention in the consumers: creates and drops slices as the schema's owner (security definer).
    `GRANT EXECUTE ON FUNCTION ${schema}.rotate_processed_messages(interval, interval, integer, text) TO ${grantee};`,
  ];
}

/**
 * Lists the runtime privileges the current database role lacks on Idem's tables in `schema`.
 * Reads the catalogs only, so it works for a role that may not touch the tables at all.
 */
export async function findMissingRuntimePrivileges<DB>(
  userDb: Kysely<DB>,
  schema: string = DEFAULT_SCHEMA,
): Promise<RuntimePrivilegeCheck> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  assertSchemaName(schema);
  const conn = db as unknown as Kysely<unknown>;
  const required = Object.entries(RUNTIME_TABLE_PRIVILEGES).flatMap(([table, privileges]) =>
    privileges.map((privilege) => ({ table, privilege })),
  );
  // Looked up through pg_class rather than 'schema.table'::regclass, which fails outright for a
  // role without USAGE on the schema.
  const result = await sql<{
    role: string;
    schema_usage: boolean | null;
    table_name: string;
    privilege: string;
    table_exists: boolean;
    granted: boolean | null;
  }>`
    select current_user as role,
           (select has_schema_privilege(n.oid, 'USAGE') from pg_namespace n where n.nspname = ${schema}) as schema_usage,
           r.table_name, r.privilege, c.oid is not null as table_exists,
           case when c.oid is null then null else has_table_privilege(c.oid, r.privilege) end as granted
    from (values ${sql.join(
      required.map((entry, index) => sql`(${index}::int, ${entry.table}, ${entry.privilege})`),
    )}) as r(position, table_name, privilege)
    left join pg_class c
      on c.relname = r.table_name
     and c.relnamespace = (select n.oid from pg_namespace n where n.nspname = ${schema})
    order by r.position`.execute(conn);
  const rows = result.rows;
  const role = rows[0]?.role ?? '';
  const grantee = quoteIdentifier(role);
  const missing: MissingPrivilege[] = [];
  if (rows[0]?.schema_usage === false) {
    missing.push({
      on: `schema ${schema}`,
      privilege: 'USAGE',
      grant: `GRANT USAGE ON SCHEMA ${schema} TO ${grantee};`,
    });
  }
  for (const row of rows) {
    if (row.table_exists && row.granted !== true) {
      missing.push({
        on: `${schema}.${row.table_name}`,
        privilege: row.privilege,
        grant: `GRANT ${row.privilege} ON ${schema}.${row.table_name} TO ${grantee};`,
      });
    }
  }
  const missingTables = [
    ...new Set(rows.filter((row) => !row.table_exists).map((row) => `${schema}.${row.table_name}`)),
  ];
  return { role, missingTables, missing };
}

function quoteIdentifier(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replaceAll('"', '""')}"`;
}
