import type { Kysely } from 'kysely';
import { migrateDown, migrationStatus } from '../../src/migrate.js';

/**
 * Reverts migrations until `last` is the newest one applied: the layout a test upgrades from,
 * whatever migrations came after it.
 */
export async function migrateDownTo<DB>(db: Kysely<DB>, schema: string, last: string): Promise<void> {
  for (;;) {
    const applied = (await migrationStatus(db, { schema })).filter((state) => state.executedAt !== undefined);
    const newest = applied.at(-1)?.name;
    if (newest === last) return;
    if (newest === undefined) throw new Error(`migration ${last} is not among those applied`);
    await migrateDown(db, { schema });
  }
}
