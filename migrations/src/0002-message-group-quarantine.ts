import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Quarantined FIFO message groups: once a message of a group is dead-lettered, the group's later
 * messages are parked (as dead letters) instead of being processed out of order, until an
 * operator releases the group.
 */
export function messageGroupQuarantine(schema: string): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .withSchema(schema)
        .createTable('quarantined_groups')
        .addColumn('consumer_group', 'text', (c) => c.notNull())
        .addColumn('message_group', 'text', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('message_id', 'text', (c) => c.notNull())
        .addColumn('quarantined_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addPrimaryKeyConstraint('quarantined_groups_pkey', ['consumer_group', 'message_group'])
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.withSchema(schema).dropTable('quarantined_groups').ifExists().execute();
    },
  };
}
