import { sql } from 'kysely';
import type { TestDatabase } from './test-database.js';

/** An outbox row as the tests read it. */
export interface OutboxRow {
  id: string;
  consumer_group: string | null;
  source_key: string | null;
  topic: string;
  keys: string[];
  body: Buffer;
  message_group: string | null;
  status: string;
  attempts: number;
  last_error: string | null;
}

/** Every outbox row of the test's schema, in id order. */
export async function outboxRows(database: TestDatabase): Promise<OutboxRow[]> {
  const result =
    await sql<OutboxRow>`select * from ${sql.table(`${database.schema}.outbox`)} order by id`.execute(
      database.db,
    );
  return result.rows;
}
