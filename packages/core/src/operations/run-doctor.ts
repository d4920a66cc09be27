import { type Kysely, sql } from 'kysely';
import { idemMigrations } from '#migrations';
import { toError } from '../errors.js';
import { assertSchemaName, DEFAULT_SCHEMA } from '../schema-name.js';
import { checkDedupWindow } from './check-dedup-window.js';
import { checkOutbox } from './check-outbox.js';
import { formatDuration } from './duration.js';
import { idemTable } from './idem-table.js';
import { readOldestProcessedKey } from './read-oldest-processed-key.js';
import { findMissingRuntimePrivileges } from './runtime-privileges.js';

/** Options of {@link runDoctor}. */
export interface DoctorOptions {
  /** The Postgres schema of Idem's tables. Default `idem`. */
  readonly schema?: string;
  /** The configured dedup window; enables the window and retention checks. */
  readonly dedupWindowMs?: number;
  /** Broker retention for the window check. Default 72 h. */
  readonly brokerRetentionMs?: number;
  /** Retry horizon for the window check. Default: RocketMQ's 16 default retries. */
  readonly maxRetryHorizonMs?: number;
  /** A pending outbox row older than this is a warning. Default 10 minutes. */
  readonly outboxMaxPendingAgeMs?: number;
}

/** One finding of {@link runDoctor}. */
export interface DoctorCheck {
  readonly name: string;
  readonly ok: boolean;
  /**
   * Not ok, but the database serves consumers: something waits for an operator (failed outbox
   * rows, an outbox nobody delivers). Warnings do not fail the report.
   */
  readonly warning?: boolean;
  /** What was found, with the numbers. */
  readonly detail: string;
  /** What to do, when not ok. */
  readonly fix?: string;
}

/** What {@link runDoctor} found; `ok` when every check passed or only warned. */
export interface DoctorReport {
  readonly ok: boolean;
  readonly checks: readonly DoctorCheck[];
}

/**
 * Checks what a consumer needs from the database, as the connecting role: Postgres answers,
 * Idem's schema is migrated to this version, the role holds the runtime privileges, and, given
 * the dedup window, that the window is safe and retention keeps up; and warns about outbox rows
 * that failed or wait too long. Never throws for a failed
 * check: each becomes a finding with a fix. Run it with the consumers' own credentials.
 */
export async function runDoctor<DB>(userDb: Kysely<DB>, options: DoctorOptions = {}): Promise<DoctorReport> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertSchemaName(schema);
  const conn = db as unknown as Kysely<unknown>;
  const checks: DoctorCheck[] = [];
  const reachable = await checkReachable(conn);
  checks.push(reachable);
  if (reachable.ok) {
    const migrated = await checkMigrated(conn, schema);
    checks.push(migrated, await checkPrivileges(conn, schema));
    if (options.dedupWindowMs !== undefined) {
      checks.push(checkWindow(options, options.dedupWindowMs));
      if (migrated.ok) checks.push(await checkRetention(conn, schema, options.dedupWindowMs));
    }
    if (migrated.ok) checks.push(await checkOutbox(conn, schema, options.outboxMaxPendingAgeMs));
  }
  return { ok: checks.every((check) => check.ok || check.warning === true), checks };
}

async function checkReachable(db: Kysely<unknown>): Promise<DoctorCheck> {
  const name = 'database reachable';
  try {
    const result = await sql<{ version: string; role: string; database: string }>`
      select current_setting('server_version') as version, current_user as role, current_database() as database`.execute(
      db,
    );
    const row = result.rows[0];
    return {
      name,
      ok: true,
      detail: `PostgreSQL ${row?.version} as ${row?.role} on database ${row?.database}`,
    };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: toError(error).message,
      fix: 'check --database-url / DATABASE_URL (host, port, user, password) and that Postgres is running',
    };
  }
}

async function checkMigrated(db: Kysely<unknown>, schema: string): Promise<DoctorCheck> {
  const name = 'schema migrated and current';
  try {
    // The catalogs tell a missing migration table from one this role may not read.
    const access = await migrationTableAccess(db, schema);
    if (access.state === 'denied') {
      return {
        name,
        ok: false,
        detail: `role ${access.role} may not read ${schema}.idem_migration, so the schema version is unknown`,
        fix: `as the schema's owner: GRANT USAGE ON SCHEMA ${schema} TO ${access.role}; GRANT SELECT ON ${schema}.idem_migration TO ${access.role}; (or run doctor as the migration role)`,
      };
    }
    // Read from the catalogs and Idem's own table, not kysely's introspection, which reads
    // every column of every table in the database and fails when a schema is dropped meanwhile.
    const known = Object.keys(idemMigrations(schema)).sort();
    const applied =
      access.state === 'missing'
        ? []
        : (
            await sql<{ name: string }>`select name from ${idemTable(schema, 'idem_migration')}`.execute(db)
          ).rows.map((row) => row.name);
    const pending = known.filter((migration) => !applied.includes(migration));
    if (pending.length > 0) {
      return {
        name,
        ok: false,
        detail: `schema ${schema}: ${pending.length} pending migration(s): ${pending.join(', ')}`,
        fix: `run \`idem migrate --schema ${schema}\` as the schema's owner (the migration role)`,
      };
    }
    // A database migrated by a newer @idem/core than this one: rolling back code over a newer
    // schema is worth knowing before it misbehaves.
    const unknown = applied.filter((migration) => !known.includes(migration));
    if (unknown.length > 0) {
      return {
        name,
        ok: false,
        detail: `schema ${schema} has migrations this @idem/core does not know: ${unknown.join(', ')}`,
        fix: 'upgrade @idem/core to the version that migrated the database',
      };
    }
    return {
      name,
      ok: true,
      detail: `schema ${schema}: ${applied.length} migration(s) applied, none pending`,
    };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `cannot read the migration state of schema ${schema}: ${toError(error).message}`,
      fix: `run \`idem migrate --schema ${schema}\` as the schema's owner`,
    };
  }
}

async function migrationTableAccess(
  db: Kysely<unknown>,
  schema: string,
): Promise<{ readonly state: 'missing' | 'readable' | 'denied'; readonly role: string }> {
  const result = await sql<{ role: string; readable: boolean | null }>`
    select current_user as role,
           (select has_schema_privilege(n.oid, 'USAGE') and has_table_privilege(c.oid, 'SELECT')
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = ${schema} and c.relname = 'idem_migration') as readable`.execute(db);
  const row = result.rows[0];
  const state =
    row?.readable === null || row === undefined ? 'missing' : row.readable ? 'readable' : 'denied';
  return { state, role: row?.role ?? 'current_user' };
}

async function checkPrivileges(db: Kysely<unknown>, schema: string): Promise<DoctorCheck> {
  const name = 'runtime privileges';
  try {
    const found = await findMissingRuntimePrivileges(db, schema);
    if (found.missingTables.length > 0) {
      return {
        name,
        ok: false,
        detail: `role ${found.role}: tables missing: ${found.missingTables.join(', ')}`,
        fix: `run \`idem migrate --schema ${schema}\` first`,
      };
    }
    if (found.missing.length > 0) {
      return {
        name,
        ok: false,
        detail: `role ${found.role} lacks ${found.missing.map((entry) => `${entry.privilege} on ${entry.on}`).join(', ')}`,
        fix: `as the schema's owner: ${[...new Set(found.missing.map((entry) => entry.grant))].join(' ')}`,
      };
    }
    return {
      name,
      ok: true,
      detail: `role ${found.role} may use schema ${schema}, SELECT/INSERT/DELETE processed_keys, SELECT/INSERT/UPDATE dead_letters`,
    };
  } catch (error) {
    return { name, ok: false, detail: `cannot read the privileges: ${toError(error).message}` };
  }
}

function checkWindow(options: DoctorOptions, dedupWindowMs: number): DoctorCheck {
  const name = 'dedup window safe';
  const result = checkDedupWindow({
    dedupWindowMs,
    ...(options.brokerRetentionMs === undefined ? {} : { brokerRetentionMs: options.brokerRetentionMs }),
    ...(options.maxRetryHorizonMs === undefined ? {} : { maxRetryHorizonMs: options.maxRetryHorizonMs }),
  });
  const [warning] = result.warnings;
  if (warning !== undefined) {
    return {
      name,
      ok: false,
      detail: warning.message,
      fix: `set the dedup window (retention) to at least ${formatDuration(result.requiredMs)}`,
    };
  }
  return {
    name,
    ok: true,
    detail: `window ${formatDuration(dedupWindowMs)} >= broker retention ${formatDuration(result.brokerRetentionMs)} + retry horizon ${formatDuration(result.maxRetryHorizonMs)}`,
  };
}

async function checkRetention(
  db: Kysely<unknown>,
  schema: string,
  dedupWindowMs: number,
): Promise<DoctorCheck> {
  const name = 'retention keeping up';
  // Keys live up to the window plus one slice (a quarter of the window by default) plus the time
  // between two runs; far past that, nobody rotates.
  const allowedMs = dedupWindowMs + dedupWindowMs / 4 + Math.max(3_600_000, dedupWindowMs / 10);
  try {
    const ageMs = (await readOldestProcessedKey(db, schema))?.ageMs ?? null;
    if (ageMs === null) return { name, ok: true, detail: 'no processed keys yet' };
    if (ageMs > allowedMs) {
      return {
        name,
        ok: false,
        detail: `the oldest processed key is ${formatDuration(ageMs)} old, window ${formatDuration(dedupWindowMs)}: retention is not running or falls behind`,
        fix: `start retention (startRetention) in the consumers, or schedule \`idem cleanup --older-than ${formatDuration(dedupWindowMs).replaceAll(' ', '')}\``,
      };
    }
    return {
      name,
      ok: true,
      detail: `the oldest processed key is ${formatDuration(ageMs)} old (window ${formatDuration(dedupWindowMs)})`,
    };
  } catch (error) {
    return { name, ok: false, detail: `cannot read ${schema}.processed_keys: ${toError(error).message}` };
  }
}
