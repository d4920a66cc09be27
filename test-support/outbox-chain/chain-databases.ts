import { randomBytes } from 'node:crypto';
import { createDatabase, migrateToLatest } from '@idem/core';
import { type Kysely, sql } from 'kysely';
import type { ChainRole } from './run-chain-service.js';

/** One service's private schema: Idem's tables and its own, reached through `search_path`. */
export interface ChainSchema {
  readonly schema: string;
  /** The connection string for the service's process. */
  readonly url: string;
  readonly db: Kysely<unknown>;
}

/** Every outbox row service A ever wrote, as it was written (the relay deletes sent rows). */
export interface OutboxLogRow {
  readonly outboxId: string;
  readonly sourceKey: string | null;
  readonly topic: string;
  readonly keys: readonly string[];
}

/** What the test reads from both services' databases. */
export interface ChainDatabases {
  readonly billing: ChainSchema;
  readonly mailer: ChainSchema;
  invoiceCount(): Promise<number>;
  emailCount(): Promise<number>;
  /** Orders with more than one invoice, or more than one email: must stay empty. */
  doubleEffects(): Promise<{ invoices: string[]; emails: string[] }>;
  /** Distinct orders with an invoice, and with an email. */
  distinctOrders(): Promise<{ invoices: number; emails: number }>;
  /** Outbox rows of service A not yet confirmed by the broker (pending or failed). */
  unsentOutboxRows(): Promise<number>;
  outboxLog(): Promise<OutboxLogRow[]>;
  /** The idempotency keys service B processed (the keys of the messages it consumed). */
  mailerKeys(): Promise<string[]>;
  drop(): Promise<void>;
}

const withSearchPath = (url: string, schema: string): string =>
  `${url}${url.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;

async function createSchema(url: string, role: ChainRole): Promise<ChainSchema> {
  const schema = `chain_${role}_${randomBytes(5).toString('hex')}`;
  const serviceUrl = withSearchPath(url, schema);
  const db = createDatabase<unknown>({ connectionString: serviceUrl, maxConnections: 4 });
  await migrateToLatest(db, { schema });
  if (role === 'billing') {
    await sql`create table invoices (order_id text not null, amount_cents int not null, seq bigserial)`.execute(
      db,
    );
    // The relay deletes rows once sent; this log keeps what each row said, for the assertions
    // on keys (the derived key's format belongs to core, the test only compares).
    await sql`create table outbox_log (outbox_id bigint not null, source_key text, topic text not null, keys text[] not null)`.execute(
      db,
    );
    await sql`
      create function outbox_log_row() returns trigger language plpgsql as $$
      begin
        insert into outbox_log values (new.id, new.source_key, new.topic, new.keys);
        return null;
      end $$`.execute(db);
    await sql`create trigger outbox_log_row after insert on outbox for each row execute function outbox_log_row()`.execute(
      db,
    );
  } else {
    await sql`create table emails (order_id text not null, message_key text not null, seq bigserial)`.execute(
      db,
    );
  }
  return { schema, url: serviceUrl, db };
}

/** Creates service A's and service B's schemas on the Postgres at `url`. */
export async function createChainDatabases(url: string): Promise<ChainDatabases> {
  const billing = await createSchema(url, 'billing');
  const mailer = await createSchema(url, 'mailer');
  const count = async (db: Kysely<unknown>, query: string): Promise<number> =>
    Number((await sql<{ n: string }>`${sql.raw(query)}`.execute(db)).rows[0]?.n ?? 0);
  const doubles = async (db: Kysely<unknown>, table: string): Promise<string[]> =>
    (
      await sql<{
        order_id: string;
      }>`select order_id from ${sql.table(table)} group by order_id having count(*) > 1`.execute(db)
    ).rows.map((row) => row.order_id);
  return {
    billing,
    mailer,
    invoiceCount: () => count(billing.db, 'select count(*) as n from invoices'),
    emailCount: () => count(mailer.db, 'select count(*) as n from emails'),
    doubleEffects: async () => ({
      invoices: await doubles(billing.db, 'invoices'),
      emails: await doubles(mailer.db, 'emails'),
    }),
    distinctOrders: async () => ({
      invoices: await count(billing.db, 'select count(distinct order_id) as n from invoices'),
      emails: await count(mailer.db, 'select count(distinct order_id) as n from emails'),
    }),
    unsentOutboxRows: () => count(billing.db, `select count(*) as n from outbox where status <> 'sent'`),
    outboxLog: async () =>
      (
        await sql<{ outbox_id: string; source_key: string | null; topic: string; keys: string[] }>`
          select outbox_id, source_key, topic, keys from outbox_log order by outbox_id`.execute(billing.db)
      ).rows.map((row) => ({
        outboxId: String(row.outbox_id),
        sourceKey: row.source_key,
        topic: row.topic,
        keys: row.keys,
      })),
    mailerKeys: async () =>
      (
        await sql<{ idempotency_key: string }>`select idempotency_key from processed_keys`.execute(mailer.db)
      ).rows.map((row) => row.idempotency_key),
    async drop() {
      for (const side of [billing, mailer]) {
        await sql`drop schema ${sql.id(side.schema)} cascade`.execute(side.db);
        await side.db.destroy();
      }
    },
  };
}
