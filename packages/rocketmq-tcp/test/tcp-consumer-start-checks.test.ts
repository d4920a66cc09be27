import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import {
  createDatabase,
  IdemError,
  type LogFields,
  type Logger,
  migrateDown,
  migrateToLatest,
  migrationStatus,
} from '@idem/core';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from '@idem/testing';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEffectsDatabase, type EffectTables } from '../../../test-support/effects/effects-database.js';
import { GROUP, useTcpFixture } from './support/tcp-fixture.js';

interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields;
}

function captureLogger(): Logger & { readonly lines: LogLine[] } {
  const lines: LogLine[] = [];
  const log = (level: LogLine['level']) => (fields: LogFields, message: string) =>
    void lines.push({ level, message, fields });
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

async function rejection(start: Promise<void>): Promise<IdemError> {
  const error: unknown = await start.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof IdemError)) throw new Error(`expected an IdemError, got ${String(error)}`);
  return error;
}

/** The process's open sockets to `port`: the broker connection a failed start must not leave. */
function socketsTo(port: number): Socket[] {
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter(
    (handle): handle is Socket =>
      typeof handle === 'object' &&
      handle !== null &&
      (handle as Socket).remotePort === port &&
      !(handle as Socket).destroyed,
  );
}

// Port 1 on loopback: nothing listens there, connections are refused at once.
const CLOSED_PORT_URL = 'postgres://postgres@127.0.0.1:1/postgres';

describe('createTcpConsumer start() checks the database and the schema', () => {
  const fixture = useTcpFixture();
  const extraSchemas: string[] = [];
  afterEach(async () => {
    const { database } = fixture();
    for (const schema of extraSchemas.splice(0)) {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
    }
  });

  function freshSchema(): string {
    const schema = `s_${randomBytes(5).toString('hex')}`;
    extraSchemas.push(schema);
    return schema;
  }

  it('fails with SCHEMA_NOT_MIGRATED naming the schema and `idem migrate` when the schema is empty, leaving no broker connection', async () => {
    const { peer, database, create } = fixture();
    const schema = freshSchema();
    await sql`create schema ${sql.id(schema)}`.execute(database.db);
    const consumer = create({ schema });
    const error = await rejection(consumer.start());
    expect(error.code).toBe('SCHEMA_NOT_MIGRATED');
    expect(error.message).toContain(`schema "${schema}" has none of them`);
    expect(error.message).toContain(`idem migrate --schema ${schema}`);
    expect(error.message).toContain('migrateToLatest(db');
    expect(consumer.health().status).toBe('stopped');
    expect(socketsTo(peer.port)).toEqual([]);
  });

  it('fails with SCHEMA_NOT_MIGRATED naming the missing migration when the schema is one migration behind', async () => {
    const { database, create } = fixture();
    const schema = freshSchema();
    await migrateToLatest(database.db, { schema });
    await migrateDown(database.db, { schema });
    const error = await rejection(create({ schema }).start());
    expect(error.code).toBe('SCHEMA_NOT_MIGRATED');
    expect(error.message).toContain(`schema "${schema}" is older than this version of Idem needs`);
    // The latest migration is the one missing, whatever it is called in this version.
    const states = await migrationStatus(database.db, { schema });
    const named = (applied: boolean) =>
      states.filter((state) => (state.executedAt !== undefined) === applied).map((state) => state.name);
    expect(named(false)).toHaveLength(1);
    expect(error.message).toContain(
      `${named(false).join(', ')} not applied (applied: ${named(true).join(', ')})`,
    );
    expect(error.message).toContain(`idem migrate --schema ${schema}`);
  });

  it("fails at once with DATABASE_UNAVAILABLE under onDatabaseUnavailableAtStart: 'fail', naming the cause", async () => {
    const { peer, create } = fixture();
    const db = createDatabase<EffectTables>({ connectionString: CLOSED_PORT_URL });
    try {
      const consumer = create({ db, onDatabaseUnavailableAtStart: 'fail' });
      const error = await rejection(consumer.start());
      expect(error.code).toBe('DATABASE_UNAVAILABLE');
      expect(error.retryable).toBe(true);
      expect(error.message).toMatch(/^cannot start consuming: Postgres is unreachable \(.*ECONNREFUSED/);
      expect(consumer.health().status).toBe('stopped');
      expect(socketsTo(peer.port)).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it('waits by default for an unreachable database, logging one line with the cause, until stop() ends the wait', async () => {
    const { peer, create } = fixture();
    const db = createDatabase<EffectTables>({ connectionString: CLOSED_PORT_URL });
    const logger = captureLogger();
    try {
      const consumer = create({ db, logger });
      const starting = rejection(consumer.start());
      await vi.waitFor(() => expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1), {
        timeout: 10_000,
      });
      const [warning] = logger.lines.filter((line) => line.level === 'warn');
      expect(warning?.message).toMatch(/^Postgres is unreachable at start \(.*ECONNREFUSED.*\); waiting/);
      expect(consumer.health().status).toBe('starting');
      expect(socketsTo(peer.port)).toEqual([]);

      await consumer.stop();
      const error = await starting;
      expect(error.code).toBe('STARTUP_FAILED');
      expect(error.message).toMatch(/stop\(\) was called while start\(\) waited for Postgres/);
      expect(consumer.health().status).toBe('stopped');
      expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1);
    } finally {
      await db.destroy();
    }
  });

  it('names dropped tables in the outage headline instead of calling Postgres unreachable', async () => {
    const { database, create, publish, peer } = fixture();
    const logger = captureLogger();
    const consumer = create({ logger });
    await consumer.start();
    publish(1, { prefix: 'before' });
    await peer.idle(GROUP);
    await sql`drop table ${sql.table(`${database.schema}.processed_keys`)}`.execute(database.db);
    publish(1, { prefix: 'after' });
    await vi.waitFor(() => expect(logger.lines.filter((line) => line.level === 'warn')).toHaveLength(1), {
      timeout: 15_000,
    });
    const [warning] = logger.lines.filter((line) => line.level === 'warn');
    expect(warning?.message).toMatch(
      new RegExp(
        `^Idem's tables are missing \\(relation "${database.schema}\\.processed_keys" does not exist\\)`,
      ),
    );
    expect(warning?.message).toContain('idem migrate');
    expect(warning?.message).not.toMatch(/unreachable/);
    expect(consumer.health().database.reachable).toBe(false);
  });
});

describe('createTcpConsumer start() while Postgres is down', () => {
  const fixture = useTcpFixture();
  let postgres: EmbeddedPostgresServer;
  beforeAll(async () => {
    postgres = await startEmbeddedPostgres();
  });
  afterAll(async () => {
    await postgres.stop();
  });

  it('resolves once Postgres is back, with one warn and one info line, and consumes', async () => {
    const { peer, create, publish } = fixture();
    const database = await createEffectsDatabase(postgres.url);
    const logger = captureLogger();
    const consumer = create({ db: database.db, schema: database.schema, logger });
    try {
      await postgres.pause();
      let started = false;
      const starting = consumer.start().then(() => {
        started = true;
      });
      await vi.waitFor(() => expect(logger.lines.some((line) => line.level === 'warn')).toBe(true), {
        timeout: 10_000,
      });
      expect(started).toBe(false);
      await postgres.resume();
      await starting;
      const visible = logger.lines.filter((line) => line.level !== 'debug').map((line) => line.message);
      expect(visible[0]).toMatch(/^Postgres is unreachable at start \(/);
      expect(visible[1]).toMatch(
        new RegExp(`^Postgres answered after [0-9.]+ s and schema "${database.schema}" is current`),
      );
      expect(consumer.health().status).toBe('running');
      publish(3);
      await peer.idle(GROUP);
      expect(await database.effectCount()).toBe(3);
    } finally {
      await consumer.stop();
      await database.drop();
    }
  }, 120_000);
});
