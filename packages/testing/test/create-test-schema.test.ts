import pg from 'pg';
import { test as base, describe, expect, inject, it } from 'vitest';
import { createTestSchema, type TestSchema } from '../src/index.js';

async function query<Row>(url: string, text: string, values: unknown[] = []): Promise<Row[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as Row[];
  } finally {
    await client.end();
  }
}

async function schemaExists(name: string): Promise<boolean> {
  const rows = await query<{ n: number }>(
    inject('databaseUrl'),
    'select count(*)::int as n from pg_namespace where nspname = $1',
    [name],
  );
  return rows[0]?.n === 1;
}

describe('createTestSchema', () => {
  it('creates an empty schema that a connection on its url writes unqualified tables into', async () => {
    const schema = await createTestSchema({ databaseUrl: inject('databaseUrl'), prefix: 'kit' });
    try {
      expect(schema.name).toMatch(/^kit_[0-9a-f]{12}$/);
      expect(
        await query(schema.url, 'select table_name from information_schema.tables where table_schema = $1', [
          schema.name,
        ]),
      ).toEqual([]);
      await query(schema.url, 'create table effects (key text primary key)');
      const rows = await query<{ table_schema: string }>(
        inject('databaseUrl'),
        `select table_schema from information_schema.tables where table_name = 'effects' and table_schema = $1`,
        [schema.name],
      );
      expect(rows).toEqual([{ table_schema: schema.name }]);
    } finally {
      await schema.drop();
    }
  });

  it('keeps two tests apart: the same table name in two schemas holds two sets of rows', async () => {
    const first = await createTestSchema({ databaseUrl: inject('databaseUrl') });
    const second = await createTestSchema({ databaseUrl: inject('databaseUrl') });
    try {
      expect(first.name).not.toBe(second.name);
      for (const schema of [first, second]) await query(schema.url, 'create table effects (key text)');
      await query(first.url, `insert into effects values ('a'), ('b')`);
      expect(await query(first.url, 'select count(*)::int as n from effects')).toEqual([{ n: 2 }]);
      expect(await query(second.url, 'select count(*)::int as n from effects')).toEqual([{ n: 0 }]);
    } finally {
      await first.drop();
      await second.drop();
    }
  });

  it('drops the schema with everything in it', async () => {
    const schema = await createTestSchema({ databaseUrl: inject('databaseUrl') });
    await query(schema.url, 'create table effects (key text)');
    expect(await schemaExists(schema.name)).toBe(true);
    await schema.drop();
    expect(await schemaExists(schema.name)).toBe(false);
  });

  it('keeps the options the database URL already had', async () => {
    const url = new URL(inject('databaseUrl'));
    url.searchParams.set('options', '-c statement_timeout=12345');
    const schema = await createTestSchema({ databaseUrl: url.toString() });
    try {
      const rows = await query<{ statement_timeout: string; search_path: string }>(
        schema.url,
        `select current_setting('statement_timeout') as statement_timeout, current_setting('search_path') as search_path`,
      );
      expect(rows).toEqual([{ statement_timeout: '12345ms', search_path: schema.name }]);
    } finally {
      await schema.drop();
    }
  });

  it('refuses a prefix that is not a plain lower-case identifier', async () => {
    await expect(
      createTestSchema({ databaseUrl: inject('databaseUrl'), prefix: 'x; drop table y' }),
    ).rejects.toThrow(TypeError);
  });
});

// Tests in a file run in order. The fixture docs/testing.md shows: drop the schema of a passing test, keep a failing one's.
const test = base.extend<{ schema: TestSchema }>({
  schema: async ({ task }, use) => {
    const schema = await createTestSchema({ databaseUrl: inject('databaseUrl') });
    await use(schema);
    if (task.result?.state !== 'fail') await schema.drop();
  },
});

describe('the documented test.extend fixture', () => {
  const names: Record<'passed' | 'failed', string | undefined> = { passed: undefined, failed: undefined };

  test('gives a passing test a schema', ({ schema }) => {
    names.passed = schema.name;
    expect(schema.url).toContain(encodeURIComponent(schema.name));
  });

  test.fails('gives a failing test a schema', ({ schema }) => {
    names.failed = schema.name;
    expect(schema.name).toBe('a name it does not have');
  });

  it("dropped the passing test's schema and kept the failing test's", async () => {
    expect(names.passed).toBeDefined();
    expect(names.failed).toBeDefined();
    expect(await schemaExists(names.passed ?? '')).toBe(false);
    expect(await schemaExists(names.failed ?? '')).toBe(true);
    await query(inject('databaseUrl'), `drop schema ${names.failed} cascade`);
  });
});
