import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/** The channel every Idem schema's outbox notifies on; the payload is the schema name. */
export const OUTBOX_CHANNEL = 'idem_outbox';

/**
 * The transactional outbox: messages written in a handler's (or any) transaction and delivered
 * to the broker by a relay once that transaction committed.
 */
export function outbox(schema: string): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const s = db.schema.withSchema(schema);
      // The identity orders rows by insertion; senders to one message group serialise on a
      // transaction lock first, so within a group insertion order is commit order.
      await s
        .createTable('outbox')
        .addColumn('id', 'bigint', (c) => c.primaryKey().generatedAlwaysAsIdentity())
        .addColumn('consumer_group', 'text')
        .addColumn('source_key', 'text')
        .addColumn('topic', 'text', (c) => c.notNull())
        .addColumn('tag', 'text')
        .addColumn('keys', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
        .addColumn('body', 'bytea', (c) => c.notNull())
        .addColumn('properties', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
        .addColumn('message_group', 'text')
        .addColumn('deliver_at', 'timestamptz')
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('status', 'text', (c) =>
          c.notNull().defaultTo('pending').check(sql`status in ('pending', 'sent', 'failed')`),
        )
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('last_error', 'text')
        .addColumn('message_id', 'text')
        .addColumn('sent_at', 'timestamptz')
        .execute();
      // The relay's claim: pending rows in id order. Partial, so sent rows kept for a window cost
      // the claim nothing.
      await s
        .createIndex('outbox_pending_idx')
        .on('outbox')
        .column('id')
        .where(sql.ref('status'), '=', 'pending')
        .execute();
      // "Is an earlier row of this group still unsent?", asked for every candidate row.
      await s
        .createIndex('outbox_group_unsent_idx')
        .on('outbox')
        .columns(['message_group', 'id'])
        .where(sql<boolean>`message_group is not null and status <> 'sent'`)
        .execute();
      // Removal of sent rows after the retention window, in bounded batches.
      await s
        .createIndex('outbox_sent_at_idx')
        .on('outbox')
        .column('sent_at')
        .where(sql.ref('status'), '=', 'sent')
        .execute();
      // One NOTIFY per inserting transaction (Postgres folds identical ones), delivered at
      // commit: a listening relay wakes exactly when there is something committed to send.
      await sql`
        create function ${sql.id(schema, 'outbox_notify')}() returns trigger
        language plpgsql as $$
        begin
          perform pg_notify(${sql.lit(OUTBOX_CHANNEL)}, tg_table_schema);
          return null;
        end
        $$`.execute(db);
      await sql`
        create trigger outbox_notify after insert on ${sql.table(`${schema}.outbox`)}
        for each statement execute function ${sql.id(schema, 'outbox_notify')}()`.execute(db);
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.withSchema(schema).dropTable('outbox').ifExists().execute();
      await sql`drop function if exists ${sql.id(schema, 'outbox_notify')}()`.execute(db);
    },
  };
}
