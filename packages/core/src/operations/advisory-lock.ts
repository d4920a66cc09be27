import { createHash } from 'node:crypto';
import { type Kysely, sql } from 'kysely';

/** What {@link withSessionAdvisoryLock} resolved to. */
export type AdvisoryLockOutcome<T> =
  | { readonly acquired: true; readonly value: T }
  | { readonly acquired: false };

/**
 * The 64-bit advisory lock key for a name: the first 8 bytes of its SHA-256, as Postgres'
 * signed bigint. Stable across processes and versions, so every instance contends for the
 * same lock.
 */
export function advisoryLockKey(name: string): string {
  return createHash('sha256').update(name).digest().readBigInt64BE(0).toString();
}

/**
 * Runs `work` on one pooled connection while holding a session advisory lock named `name`, or
 * resolves `{ acquired: false }` at once when another session holds it. Never waits for the
 * lock. The lock ends with the session, so a process killed mid-run frees it.
 *
 * Session locks need a real session: behind PgBouncer in transaction mode, point this at a
 * direct connection.
 */
export async function withSessionAdvisoryLock<T>(
  db: Kysely<unknown>,
  name: string,
  work: (connection: Kysely<unknown>) => Promise<T>,
): Promise<AdvisoryLockOutcome<T>> {
  const key = advisoryLockKey(name);
  return await db.connection().execute(async (connection) => {
    const locked = await sql<{
      locked: boolean;
    }>`select pg_try_advisory_lock(${key}::bigint) as locked`.execute(connection);
    if (locked.rows[0]?.locked !== true) return { acquired: false } as const;
    const unlock = async (): Promise<void> => {
      await sql`select pg_advisory_unlock(${key}::bigint)`.execute(connection);
    };
    let value: T;
    try {
      value = await work(connection);
    } catch (error) {
      // The work's error is the one to report. An unlock that fails too means the connection
      // broke: node-postgres discards it, which ends the session and frees the lock anyway.
      await unlock().catch(() => {});
      throw error;
    }
    await unlock();
    return { acquired: true, value } as const;
  });
}
