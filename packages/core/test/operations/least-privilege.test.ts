import { randomBytes } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { describeDatabaseFault } from '../../src/consumer/describe-database-fault.js';
import { createProcessor } from '../../src/create-processor.js';
import { purgeDeadLetters } from '../../src/dead-letters/purge-dead-letters.js';
import { replayDeadLetters } from '../../src/dead-letters/replay-dead-letters.js';
import type { IdemError } from '../../src/errors.js';
import { cleanupProcessedMessages } from '../../src/operations/cleanup-processed-messages.js';
import {
  findMissingRuntimePrivileges,
  runtimeGrantStatements,
} from '../../src/operations/runtime-privileges.js';
import { OrderHandlers } from '../support/handlers.js';
import { inboundMessage, redeliveryOf } from '../support/messages.js';
import { type TestTables, useTestDatabase } from '../support/test-database.js';
import { backdate, idem } from './operations-support.js';

const DAY = 86_400_000;

/** A login role created for one test and dropped after it. */
interface TestRole {
  readonly name: string;
  readonly url: string;
  readonly db: Kysely<TestTables>;
}

describe('least-privilege runtime role', () => {
  const database = useTestDatabase();
  const roles: TestRole[] = [];

  afterEach(async () => {
    const { db } = database();
    for (const role of roles.splice(0)) {
      await role.db.destroy();
      // DROP OWNED revokes the role's grants in this database; then the role can go.
      await sql`drop owned by ${sql.id(role.name)}`.execute(db);
      await sql`drop role ${sql.id(role.name)}`.execute(db);
    }
  });

  /** Creates a role holding `grants` (SQL run as the owner) and connects as it. */
  async function createRole(grants: (role: string) => readonly string[]): Promise<TestRole> {
    const { db, schema, url } = database();
    const name = `idem_rt_${randomBytes(5).toString('hex')}`;
    const password = randomBytes(12).toString('hex');
    await sql`create role ${sql.id(name)} login password ${sql.lit(password)}`.execute(db);
    for (const statement of grants(name)) await sql.raw(statement).execute(db);
    const roleUrl = new URL(url);
    roleUrl.username = name;
    roleUrl.password = password;
    const pool = new pg.Pool({
      connectionString: roleUrl.toString(),
      max: 4,
      options: `-c search_path=${schema}`,
    });
    const role = {
      name,
      url: roleUrl.toString(),
      db: new Kysely<TestTables>({ dialect: new PostgresDialect({ pool }) }),
    };
    roles.push(role);
    return role;
  }

  /** The documented grants: Idem's runtime privileges, doctor's version check, the app's table. */
  function documentedGrants(schema: string) {
    return (role: string) => [
      ...runtimeGrantStatements(role, schema),
      `GRANT SELECT ON ${schema}.idem_migration TO ${role};`,
      `GRANT SELECT, INSERT ON ${schema}.effects TO ${role};`,
    ];
  }

  it('gives the consumers everything they need with the documented grants and nothing more', async () => {
    const { schema } = database();
    expect(runtimeGrantStatements('app_runtime', schema)).toEqual([
      `GRANT USAGE ON SCHEMA ${schema} TO app_runtime;`,
      `GRANT SELECT, INSERT, DELETE ON ${schema}.processed_keys TO app_runtime;`,
      `GRANT SELECT ON ${schema}.processed_message_slices TO app_runtime;`,
      `GRANT SELECT ON ${schema}.processed_messages TO app_runtime;`,
      `GRANT SELECT, INSERT, UPDATE ON ${schema}.dead_letters TO app_runtime;`,
      `GRANT SELECT, INSERT, DELETE ON ${schema}.quarantined_groups TO app_runtime;`,
      `GRANT SELECT, INSERT, UPDATE, DELETE ON ${schema}.outbox TO app_runtime;`,
      `GRANT EXECUTE ON FUNCTION ${schema}.rotate_processed_messages(interval, interval, integer, text) TO app_runtime;`,
    ]);
    const role = await createRole(documentedGrants(schema));
    const handlers = new OrderHandlers();
    const processor = createProcessor({
      db: role.db,
      schema,
      handlers: [handlers],
      consumerGroup: 'billing',
    });

    const message = inboundMessage({ keys: ['order-1'] });
    expect(await processor.dispatch(message)).toMatchObject({ outcome: 'processed' });
    expect(await processor.dispatch(redeliveryOf(message))).toMatchObject({ outcome: 'duplicate' });
    handlers.rejectNext = true;
    expect(await processor.dispatch(inboundMessage({ keys: ['order-2'] }))).toMatchObject({
      outcome: 'dead-lettered',
    });
    const poison = inboundMessage({ keys: ['order-3'], body: Buffer.from('{') });
    await processor.dispatch(poison);
    // A redelivered poison message updates its open dead letter (the upsert needs UPDATE).
    expect(await processor.dispatch(redeliveryOf(poison))).toMatchObject({ outcome: 'dead-lettered' });
    expect(await processor.checkDatabase()).toBeUndefined();

    // Operations as the runtime role: replay, purge, retention.
    const replay = await replayDeadLetters(processor, role.db, { all: true });
    expect(replay).toMatchObject({ replayed: 1, stillOpen: 1 });
    expect(await purgeDeadLetters(role.db, { schema, all: true })).toMatchObject({
      purgedIds: [expect.any(String)],
    });
    // Retention creates and drops slices through its security-definer function: no DDL right.
    expect(await cleanupProcessedMessages(role.db, { schema, dedupWindowMs: 7 * DAY })).toMatchObject({
      status: 'done',
      slicesCreated: 2,
    });
    await backdate(database(), 10 * DAY);
    expect(await cleanupProcessedMessages(role.db, { schema, dedupWindowMs: 7 * DAY })).toMatchObject({
      status: 'done',
      slicesDropped: 1,
    });
    expect(await database().count('processed_keys')).toBe(0);
    expect(await findMissingRuntimePrivileges(role.db, schema)).toEqual({
      role: role.name,
      missingTables: [],
      missing: [],
    });

    const doctor = await idem(['doctor', '--dedup-window', '7d', '--schema', schema], role.url);
    expect(doctor.out.slice(1, -1).every((line) => line.startsWith('✓ '))).toBe(true);
    expect(doctor.out).toContain(
      `✓ runtime privileges: role ${role.name} may use schema ${schema}, SELECT/INSERT/DELETE processed_keys, SELECT/INSERT/UPDATE dead_letters`,
    );
    expect(doctor.code).toBe(0);
  });

  it('makes doctor fail, naming the privilege and the GRANT, for a role lacking DELETE', async () => {
    const { schema } = database();
    const role = await createRole((name) =>
      documentedGrants(schema)(name).map((statement) =>
        statement.replace(
          `SELECT, INSERT, DELETE ON ${schema}.processed_keys`,
          `SELECT, INSERT ON ${schema}.processed_keys`,
        ),
      ),
    );

    const doctor = await idem(['doctor', '--schema', schema], role.url);

    expect(doctor.code).toBe(1);
    expect(doctor.out).toEqual(
      expect.arrayContaining([
        `✗ runtime privileges: role ${role.name} lacks DELETE on ${schema}.processed_keys`,
        `    fix: as the schema's owner: GRANT DELETE ON ${schema}.processed_keys TO ${role.name};`,
      ]),
    );
    expect(doctor.stderr).toBe('idem: doctor: 1 of 4 checks failed');
    // Without EXECUTE on the retention function, retention is refused with the reason.
    await sql
      .raw(
        `revoke execute on function ${schema}.rotate_processed_messages(interval, interval, integer, text) from ${role.name}`,
      )
      .execute(database().db);
    await expect(cleanupProcessedMessages(role.db, { schema, dedupWindowMs: 7 * DAY })).rejects.toMatchObject(
      {
        code: 'PERMISSION_DENIED',
        message: expect.stringContaining('permission denied for function rotate_processed_messages'),
      },
    );
  });

  it('names USAGE on the schema when the role cannot even see it', async () => {
    const { schema } = database();
    const role = await createRole(() => []);
    const found = await findMissingRuntimePrivileges(role.db, schema);
    expect(found.missing.map((entry) => `${entry.privilege} on ${entry.on}`)).toEqual([
      `USAGE on schema ${schema}`,
      `SELECT on ${schema}.processed_keys`,
      `INSERT on ${schema}.processed_keys`,
      `DELETE on ${schema}.processed_keys`,
      `SELECT on ${schema}.processed_message_slices`,
      `SELECT on ${schema}.processed_messages`,
      `SELECT on ${schema}.dead_letters`,
      `INSERT on ${schema}.dead_letters`,
      `UPDATE on ${schema}.dead_letters`,
      `SELECT on ${schema}.quarantined_groups`,
      `INSERT on ${schema}.quarantined_groups`,
      `DELETE on ${schema}.quarantined_groups`,
      `SELECT on ${schema}.outbox`,
      `INSERT on ${schema}.outbox`,
      `UPDATE on ${schema}.outbox`,
      `DELETE on ${schema}.outbox`,
    ]);
    const doctor = await idem(['doctor', '--schema', schema], role.url);
    expect(doctor.code).toBe(1);
    expect(doctor.out).toContain(
      `✗ schema migrated and current: role ${role.name} may not read ${schema}.idem_migration, so the schema version is unknown`,
    );
  });

  it('passes the start-up schema check with the runtime grants alone: SELECT on idem_migration stays optional', async () => {
    const { schema } = database();
    const role = await createRole((name) => runtimeGrantStatements(name, schema));
    const processor = createProcessor({
      db: role.db,
      schema,
      handlers: [new OrderHandlers()],
      consumerGroup: 'billing',
    });
    expect(await processor.checkSchemaVersion()).toBeUndefined();
    expect(await processor.checkDatabase()).toBeUndefined();
  });

  it('reports a missing table privilege as PERMISSION_DENIED whose outage headline says so, not "unreachable"', async () => {
    const { schema } = database();
    const role = await createRole((name) => [`GRANT USAGE ON SCHEMA ${schema} TO ${name};`]);
    const processor = createProcessor({
      db: role.db,
      schema,
      handlers: [new OrderHandlers()],
      consumerGroup: 'billing',
    });
    const result = await processor.dispatch(inboundMessage({ keys: ['order-1'] }));
    expect(result).toMatchObject({
      outcome: 'failed',
      retryable: true,
      error: { code: 'PERMISSION_DENIED' },
    });
    const problem = await processor.checkDatabase();
    expect(problem).toMatchObject({ code: 'PERMISSION_DENIED', retryable: true });
    const headline = describeDatabaseFault(problem as IdemError).down;
    expect(headline).toMatch(
      /^the database role lacks a privilege on Idem's tables \(permission denied for table processed_keys\)/,
    );
    expect(headline).not.toMatch(/unreachable/);
  });
});
