import { sql } from 'kysely';
import { runCli } from '../../src/cli/run-cli.js';
import type { TestDatabase } from '../support/test-database.js';

/** Inserts processed keys directly, stored `ageMs` ago, to give retention something to delete. */
export async function insertProcessedKeys(
  database: TestDatabase,
  options: {
    readonly count: number;
    readonly ageMs: number;
    readonly group?: string;
    readonly prefix?: string;
  },
): Promise<void> {
  const group = options.group ?? 'billing';
  const prefix = options.prefix ?? `k${options.ageMs}-`;
  await sql`
    insert into ${sql.table(`${database.schema}.processed_keys`)}
      (consumer_group, idempotency_key, message_id, topic, tag, handler, payload_hash, delivery_attempt, transport, processed_at)
    select ${group}, ${prefix} || n, 'M' || n, 'orders', 'created', 'OrderHandlers.onOrderCreated', '\\x00'::bytea, 1, 'test',
           now() - make_interval(secs => ${options.ageMs / 1000}::float8)
    from generate_series(1, ${options.count}::int) as n`.execute(database.db);
}

/**
 * Moves time forward by `ageMs` for retention: every stored key (slices and legacy table) and
 * every slice start moves that far into the past, as if that time had passed.
 */
export async function backdate(database: TestDatabase, ageMs: number): Promise<void> {
  const shift = sql`make_interval(secs => ${ageMs / 1000}::float8)`;
  const table = (name: string) => sql.table(`${database.schema}.${name}`);
  await sql`update ${table('processed_keys')} set processed_at = processed_at - ${shift}`.execute(
    database.db,
  );
  await sql`update ${table('processed_messages')} set processed_at = processed_at - ${shift}`.execute(
    database.db,
  );
  await sql`update ${table('processed_message_slices')} set starts_at = starts_at - ${shift}`.execute(
    database.db,
  );
}

/** Inserts keys into the pre-slice legacy table, as a deployment before migration 0005 stored them. */
export async function insertLegacyKeys(
  database: TestDatabase,
  options: { readonly keys: readonly string[]; readonly ageMs: number; readonly group?: string },
): Promise<void> {
  await sql`
    insert into ${sql.table(`${database.schema}.processed_messages`)}
      (consumer_group, idempotency_key, message_id, topic, tag, handler, payload_hash, delivery_attempt, transport, processed_at)
    select ${options.group ?? 'billing'}, k, 'M-' || k, 'orders', 'created', 'OrderHandlers.onOrderCreated', '\\x00'::bytea, 1, 'test',
           now() - make_interval(secs => ${options.ageMs / 1000}::float8)
    from unnest(${[...options.keys]}::text[]) as k`.execute(database.db);
}

/** The output of one in-process run of the `idem` CLI. */
export interface CliRun {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `idem ...` in-process against the test schema, the database given through DATABASE_URL. */
export async function idem(argv: readonly string[], url: string): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    env: { DATABASE_URL: url },
  });
  return { code, out, err, stdout: out.join('\n'), stderr: err.join('\n') };
}
