import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * The processed-messages table (one row per idempotency key and consumer group) and the
 * dead-letter table.
 */
export function initialSchema(schema: string): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createSchema(schema).ifNotExists().execute();
      const s = db.schema.withSchema(schema);

      // The primary key is the dedup: INSERT ... ON CONFLICT DO NOTHING on it is the whole
      // idempotency check, and a concurrent duplicate waits on the uncommitted key.
      await s
        .createTable('processed_messages')
        .addColumn('consumer_group', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('topic', 'text', (c) => c.notNull())
        .addColumn('tag', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('handler', 'text', (c) => c.notNull())
        .addColumn('payload_hash', 'bytea', (c) => c.notNull())
        .addColumn('delivery_attempt', 'integer', (c) => c.notNull())
        .addColumn('transport', 'text', (c) => c.notNull())
        .addColumn('processed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('processed_messages_pkey', ['consumer_group', 'idempotency_key'])
        .execute();
      // Retention deletes the oldest keys in small batches; this index keeps each batch cheap.
      await s
        .createIndex('processed_messages_processed_at_idx')
        .on('processed_messages')
        .column('processed_at')
        .execute();

      await s
        .createTable('dead_letters')
        .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
        .addColumn('consumer_group', 'text', (c) => c.notNull())
        .addColumn('idempotency_key', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('topic', 'text', (c) => c.notNull())
        .addColumn('tag', 'text', (c) => c.notNull().defaultTo(''))
        .addColumn('keys', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
        .addColumn('properties', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('body', 'bytea', (c) => c.notNull())
        .addColumn('message_group', 'text')
        .addColumn('transport', 'text', (c) => c.notNull())
        .addColumn('born_at', 'timestamptz')
        .addColumn('delivery_attempt', 'integer', (c) => c.notNull())
        .addColumn('handler', 'text')
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('error_message', 'text', (c) => c.notNull())
        .addColumn('occurrences', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('first_dead_lettered_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('last_dead_lettered_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('resolved_at', 'timestamptz')
        .addColumn('resolution', 'text')
        .execute();
      // A redelivered poison message updates its open dead letter instead of adding rows;
      // once resolved (replayed or purged) the same key may be dead-lettered afresh.
      await s
        .createIndex('dead_letters_open_key_idx')
        .on('dead_letters')
        .columns(['consumer_group', 'idempotency_key'])
        .unique()
        .where(sql.ref('resolved_at'), 'is', null)
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      const s = db.schema.withSchema(schema);
      await s.dropTable('dead_letters').ifExists().execute();
      await s.dropTable('processed_messages').ifExists().execute();
    },
  };
}
