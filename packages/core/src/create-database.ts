import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { rememberConnectionSettings } from './database-connection-settings.js';
import { type Logger, silentLogger } from './logger.js';

/** Options of {@link createDatabase}. */
export interface DatabaseOptions {
  /** `postgres://user:password@host:port/database`; the password never appears in Idem's logs. */
  readonly connectionString: string;
  /** Pool size. Default 10. */
  readonly maxConnections?: number;
  /** Wait at most this long for a connection before failing as `DATABASE_UNAVAILABLE`. Default 5000 ms. */
  readonly connectionTimeoutMs?: number;
  /** TLS options passed to node-postgres (`true`, or `{ ca, rejectUnauthorized, ... }`). */
  readonly ssl?: pg.PoolConfig['ssl'];
  readonly logger?: Logger;
}

/**
 * Creates a kysely instance on a node-postgres pool that survives database restarts: a pooled
 * connection that dies while idle is logged and replaced instead of crashing the process (an
 * unhandled `error` event on a `pg.Pool` kills Node).
 *
 * Any `Kysely<DB>` on Postgres works with Idem; this is the one we test restarts with. An outbox
 * relay (or a consumer given a producer) over it also knows how to open its own LISTEN session,
 * so it wakes as soon as an outbox row commits instead of only polling.
 */
export function createDatabase<DB>(options: DatabaseOptions): Kysely<DB> {
  const logger = options.logger ?? silentLogger;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
  });
  pool.on('error', (error) => {
    logger.warn({ error: error.message }, 'an idle Postgres connection failed; the pool replaces it');
  });
  // node-postgres removes the pool's listener while a client is checked out, so a connection
  // that dies mid-transaction would emit an unhandled 'error' and crash the process. The query
  // in flight still rejects, which is where the failure is handled.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  rememberConnectionSettings(db, {
    connectionString: options.connectionString,
    ...(options.ssl === undefined ? {} : { ssl: options.ssl }),
  });
  return db;
}

/** The connection string with its password replaced by `***`, for logs and error messages. */
export function redactConnectionString(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return connectionString.replace(/:\/\/([^:/@]+):[^@]*@/, '://$1:***@');
  }
}
