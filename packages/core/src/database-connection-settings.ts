import type { Kysely } from 'kysely';
import type pg from 'pg';

/** How to open a connection of one's own to the database a Kysely instance uses. */
export interface DatabaseConnectionSettings {
  readonly connectionString: string;
  readonly ssl?: pg.ClientConfig['ssl'];
}

// Kysely gives no access to its dialect's pool, so the instances `createDatabase` builds are
// remembered here. Weak: an instance the application drops takes its entry with it.
const settings = new WeakMap<Kysely<never>, DatabaseConnectionSettings>();

/** Records where `db` connects; called by `createDatabase`. */
export function rememberConnectionSettings<DB>(db: Kysely<DB>, connection: DatabaseConnectionSettings): void {
  settings.set(db as unknown as Kysely<never>, connection);
}

/**
 * Where `db` connects, when it was built by `createDatabase`; `undefined` for any other Kysely
 * instance. The outbox relay opens its LISTEN session with it.
 */
export function connectionSettingsOf<DB>(db: Kysely<DB>): DatabaseConnectionSettings | undefined {
  return settings.get(db as unknown as Kysely<never>);
}
