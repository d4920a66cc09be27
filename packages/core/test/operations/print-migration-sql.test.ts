import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createProcessor } from '../../src/create-processor.js';
import { migrateToLatest, migrationStatus } from '../../src/migrate.js';
import { OrderHandlers } from '../support/handlers.js';
import { inboundMessage } from '../support/messages.js';
import type { TestTables } from '../support/test-database.js';
import { idem } from './operations-support.js';

describe('idem migrate --print-sql', () => {
  const url = inject('databaseUrl');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const db = new Kysely<TestTables>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 2 }) }),
  });

  afterAll(async () => {
    await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db);
    await db.destroy();
  });

  it('prints SQL that a DBA applies by hand, after which Idem sees every migration applied and consumes', async () => {
    // No database is needed to print: the URL points at a closed port.
    const printed = await idem(
      ['migrate', '--print-sql', '--schema', schema],
      'postgres://nobody@127.0.0.1:1/none',
    );
    expect(printed.code).toBe(0);
    expect(printed.stdout).toMatch(/^-- Idem's schema/);

    // Applied as psql -f would: one simple-protocol query with every statement.
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(printed.stdout);
    } finally {
      await client.end();
    }

    const states = await migrationStatus(db, { schema });
    expect(states.length).toBeGreaterThan(0);
    expect(states.filter((state) => state.executedAt === undefined)).toEqual([]);
    expect(await migrateToLatest(db, { schema })).toEqual([]);

    await sql`create table ${sql.table(`${schema}.effects`)} (key text primary key, handler text, value int)`.execute(
      db,
    );
    const scoped = db.withSchema(schema);
    const processor = createProcessor({
      db: scoped,
      schema,
      handlers: [new OrderHandlers()],
      consumerGroup: 'billing',
    });
    const result = await processor.dispatch(inboundMessage({ keys: ['order-1'] }));
    expect(result.outcome).toBe('processed');
  });

  it('refuses --print-sql with another action', async () => {
    const run = await idem(['migrate', 'down', '--print-sql'], 'postgres://nobody@127.0.0.1:1/none');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('--print-sql goes with "migrate" alone');
  });
});
