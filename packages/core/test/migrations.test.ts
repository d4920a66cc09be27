import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { runCli } from '../src/cli/run-cli.js';
import { migrateDown, migrateToLatest, migrationStatus } from '../src/migrate.js';

async function tablesIn(db: Kysely<unknown>, schema: string): Promise<string[]> {
  const result = await sql<{ table_name: string }>`
    select table_name from information_schema.tables where table_schema = ${schema} order by table_name`.execute(
    db,
  );
  return result.rows.map((row) => row.table_name);
}

/** Whether the schema's claim function skips conflicts (`ON CONFLICT`) or inserts plainly. */
async function claimInsertForm(db: Kysely<unknown>, schema: string): Promise<'plain' | 'speculative'> {
  const result = await sql<{ body: string }>`
    select prosrc as body from pg_proc
    where proname = 'claim_processed_messages' and pronamespace = to_regnamespace(${schema})`.execute(db);
  return result.rows[0]?.body.includes('on conflict do nothing') ? 'speculative' : 'plain';
}

async function columnsOf(db: Kysely<unknown>, schema: string, names: string[]): Promise<string[]> {
  const result = await sql<{ name: string }>`
    select table_name || '.' || column_name as name from information_schema.columns
    where table_schema = ${schema} and column_name = any(${names}) order by name`.execute(db);
  return result.rows.map((row) => row.name);
}

describe('migrations', () => {
  let db: Kysely<unknown>;
  let schema: string;
  beforeEach(() => {
    schema = `m_${randomBytes(5).toString('hex')}`;
    db = new Kysely({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: inject('databaseUrl'), max: 2 }),
      }),
    });
  });
  afterEach(async () => {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
    await db.destroy();
  });

  it('round-trips latest, down and latest again', async () => {
    const all = [
      'dead_letters',
      'idem_migration',
      'idem_migration_lock',
      'outbox',
      'processed_keys',
      'processed_keys_0',
      'processed_message_slices',
      'processed_messages',
      'quarantined_groups',
    ];
    // 0006 renames only: the sliced table takes its name back, the pre-slice table its suffix.
    const all0005 = [
      'dead_letters',
      'idem_migration',
      'idem_migration_lock',
      'outbox',
      'processed_message_slices',
      'processed_messages',
      'processed_messages_0',
      'processed_messages_legacy',
      'quarantined_groups',
    ];
    expect(await migrateToLatest(db, { schema })).toEqual([
      { name: '0001-initial-schema', direction: 'Up', status: 'Success' },
      { name: '0002-message-group-quarantine', direction: 'Up', status: 'Success' },
      { name: '0003-hostile-input', direction: 'Up', status: 'Success' },
      { name: '0004-outbox', direction: 'Up', status: 'Success' },
      { name: '0005-sliced-processed-messages', direction: 'Up', status: 'Success' },
      { name: '0006-old-version-claims', direction: 'Up', status: 'Success' },
      { name: '0007-plain-claim-insert', direction: 'Up', status: 'Success' },
    ]);
    expect(await tablesIn(db, schema)).toEqual(all);
    expect(await columnsOf(db, schema, ['original_key', 'original_headers'])).toEqual([
      'dead_letters.original_headers',
      'processed_keys.original_key',
      'processed_keys_0.original_key',
      'processed_messages.original_key',
    ]);
    expect(await migrateToLatest(db, { schema })).toEqual([]);

    expect(await claimInsertForm(db, schema)).toBe('plain');
    expect(await migrateDown(db, { schema })).toEqual([
      { name: '0007-plain-claim-insert', direction: 'Down', status: 'Success' },
    ]);
    expect(await claimInsertForm(db, schema)).toBe('speculative');
    expect(await tablesIn(db, schema)).toEqual(all);
    expect(await migrateDown(db, { schema })).toEqual([
      { name: '0006-old-version-claims', direction: 'Down', status: 'Success' },
    ]);
    expect(await tablesIn(db, schema)).toEqual(all0005);
    expect(await migrateDown(db, { schema })).toEqual([
      { name: '0005-sliced-processed-messages', direction: 'Down', status: 'Success' },
    ]);
    expect(await migrateDown(db, { schema })).toEqual([
      { name: '0004-outbox', direction: 'Down', status: 'Success' },
    ]);
    expect(await migrateDown(db, { schema })).toEqual([
      { name: '0003-hostile-input', direction: 'Down', status: 'Success' },
    ]);
    expect(await columnsOf(db, schema, ['original_key', 'original_headers'])).toEqual([]);
    expect(await migrateDown(db, { schema })).toEqual([
      { name: '0002-message-group-quarantine', direction: 'Down', status: 'Success' },
    ]);
    expect(await migrateDown(db, { schema })).toEqual([
      { name: '0001-initial-schema', direction: 'Down', status: 'Success' },
    ]);
    expect(await tablesIn(db, schema)).toEqual(['idem_migration', 'idem_migration_lock']);
    const states = await migrationStatus(db, { schema });
    expect(states).toHaveLength(7);
    expect(states.filter((state) => state.executedAt !== undefined)).toEqual([]);

    await migrateToLatest(db, { schema });
    expect(await tablesIn(db, schema)).toEqual(all);
    expect((await migrationStatus(db, { schema }))[1]?.executedAt).toBeInstanceOf(Date);
  });

  it('migrates safely from several processes at once', async () => {
    const results = await Promise.all([migrateToLatest(db, { schema }), migrateToLatest(db, { schema })]);
    expect(results.flat()).toHaveLength(7);
  });

  it('reports an unreachable database as DATABASE_UNAVAILABLE, not MIGRATION_FAILED', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const unreachable = new Kysely<unknown>({
      dialect: new PostgresDialect({
        pool: new pg.Pool({ connectionString: 'postgres://postgres@127.0.0.1:1/postgres', max: 1 }),
      }),
    });
    try {
      for (const call of [
        () => migrateToLatest(unreachable, { schema }),
        () => migrationStatus(unreachable),
      ]) {
        const error = await call().then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error).toMatchObject({ code: 'DATABASE_UNAVAILABLE', retryable: true });
        expect((error as Error).message).toMatch(
          /^cannot (migrate|read the migration state): Postgres is unreachable \(.*ECONNREFUSED/,
        );
      }
    } finally {
      await unreachable.destroy();
    }
  });

  it('rejects a schema name that is not a plain identifier', async () => {
    await expect(migrateToLatest(db, { schema: 'x"; drop table y; --' })).rejects.toMatchObject({
      code: 'INVALID_CONFIGURATION',
    });
  });
});

describe('idem migrate (CLI)', () => {
  let schema: string;
  let out: string[];
  let err: string[];
  const io = (env: Record<string, string | undefined>) => ({
    stdout: (line: string) => out.push(line),
    stderr: (line: string) => err.push(line),
    env,
  });
  beforeEach(() => {
    schema = `c_${randomBytes(5).toString('hex')}`;
    out = [];
    err = [];
  });
  afterEach(async () => {
    const client = new pg.Client(inject('databaseUrl'));
    await client.connect();
    await client.query(`drop schema if exists ${schema} cascade`);
    await client.end();
  });

  it('migrates the database named by DATABASE_URL and reports the status', async () => {
    const env = { DATABASE_URL: inject('databaseUrl') };
    expect(await runCli(['migrate', 'status', '--schema', schema], io(env))).toBe(0);
    expect(out).toContain('  pending  0001-initial-schema');
    expect(out).toContain('  pending  0002-message-group-quarantine');
    expect(out).toContain('  pending  0003-hostile-input');
    expect(out).toContain('  pending  0004-outbox');
    expect(out).toContain('  pending  0005-sliced-processed-messages');
    expect(out).toContain('  pending  0006-old-version-claims');
    expect(out).toContain('  pending  0007-plain-claim-insert');
    expect(out.at(-1)).toBe('7 pending: run `idem migrate` to apply.');

    out = [];
    expect(await runCli(['migrate', '--schema', schema], io(env))).toBe(0);
    expect(out).toEqual([
      `Applied 0001-initial-schema (schema "${schema}")`,
      `Applied 0002-message-group-quarantine (schema "${schema}")`,
      `Applied 0003-hostile-input (schema "${schema}")`,
      `Applied 0004-outbox (schema "${schema}")`,
      `Applied 0005-sliced-processed-messages (schema "${schema}")`,
      `Applied 0006-old-version-claims (schema "${schema}")`,
      `Applied 0007-plain-claim-insert (schema "${schema}")`,
    ]);

    out = [];
    expect(await runCli(['migrate', 'status', '--schema', schema], io(env))).toBe(0);
    expect(out.some((line) => line.startsWith('  applied  0001-initial-schema'))).toBe(true);
    expect(out.at(-1)).toBe('Up to date.');
    expect(out.join('\n')).not.toContain(':idem@');
  });

  it('takes --database-url over DATABASE_URL, and reverts with down', async () => {
    const env = { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };
    const url = ['--database-url', inject('databaseUrl'), '--schema', schema];
    expect(await runCli(['migrate', 'latest', ...url], io(env))).toBe(0);
    expect(await runCli(['migrate', 'down', ...url], io(env))).toBe(0);
    expect(out.at(-1)).toBe(`Reverted 0007-plain-claim-insert (schema "${schema}")`);
  });

  it('exits 2 with the fix when no database is given', async () => {
    expect(await runCli(['migrate'], io({}))).toBe(2);
    expect(err.join('\n')).toMatch(/set DATABASE_URL or pass --database-url/);
  });

  it('exits 2 on an unknown action', async () => {
    expect(await runCli(['migrate', 'sideways'], io({ DATABASE_URL: inject('databaseUrl') }))).toBe(2);
    expect(err.join('\n')).toMatch(/unknown migrate action "sideways"/);
  });

  it('exits 1 naming the problem when Postgres is unreachable, without the password', async () => {
    const code = await runCli(['migrate', '--database-url', 'postgres://app:s3cret@127.0.0.1:1/app'], io({}));
    expect(code).toBe(1);
    expect(err.join('\n')).toMatch(/cannot reach Postgres/);
    expect(err.join('\n')).not.toContain('s3cret');
  });
});
