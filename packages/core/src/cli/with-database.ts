import type { Kysely } from 'kysely';
import { createDatabase, redactConnectionString } from '../create-database.js';
import { type CliIo, CliUsageError } from './cli-io.js';

/** Options every database command takes. */
export interface DatabaseCommandOptions {
  readonly databaseUrl?: string;
  readonly schema: string;
}

/**
 * Opens the database named by `--database-url` or `DATABASE_URL`, runs `work`, and closes it.
 *
 * @throws CliUsageError when no URL is given.
 */
export async function withDatabase<T>(
  options: DatabaseCommandOptions,
  io: CliIo,
  work: (db: Kysely<unknown>, url: string) => Promise<T>,
): Promise<T> {
  const url = options.databaseUrl ?? io.env.DATABASE_URL;
  if (url === undefined || url === '') {
    throw new CliUsageError(
      'no database given: set DATABASE_URL or pass --database-url postgres://user:password@host:5432/database',
    );
  }
  const db = createDatabase<unknown>({ connectionString: url, maxConnections: 2 });
  try {
    return await work(db, redactConnectionString(url));
  } finally {
    await db.destroy();
  }
}
