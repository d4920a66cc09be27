import os from 'node:os';
import { type Kysely, sql } from 'kysely';

/** The machine a run measured, printed with its figures. */
export interface MachineDescription {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  /** `PostgreSQL 17.x` as the server reports it. */
  readonly postgres: string;
  /** `embedded` (fsync off, on this machine) or `DATABASE_URL`. */
  readonly database: 'embedded' | 'DATABASE_URL';
}

/** Describes this machine and the Postgres server behind `db`. */
export async function describeMachine<DB>(
  db: Kysely<DB>,
  database: MachineDescription['database'],
): Promise<MachineDescription> {
  const version = await sql<{ v: string }>`select current_setting('server_version') as v`.execute(db);
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: os.totalmem() / 1024 ** 3,
    node: process.versions.node,
    postgres: `PostgreSQL ${version.rows[0]?.v ?? 'unknown'}`,
    database,
  };
}
