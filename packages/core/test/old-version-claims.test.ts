import { createHash } from 'node:crypto';
import { type Kysely, sql, type Transaction } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrateToLatest } from '../src/migrate.js';
import { toStorableText } from '../src/storable-text.js';
import type { IdemTables } from '../src/store/idem-tables.js';
import { claimKeys, type ProcessedMessageClaim } from '../src/store/processed-messages-store.js';
import { migrateDownTo } from './support/migrate-down-to.js';
import { useTestDatabase } from './support/test-database.js';

const GROUP = 'billing';
/** Keys raced before the upgrade is started, and after it finished. */
const KEYS_BEFORE = 20;
const KEYS_AFTER = 100;
const RACERS = 3;

/**
 * The claim of the version before migration 0005, verbatim from its
 * packages/core/src/store/processed-messages-store.ts (`git show 65f4ebc^:<that path>`), with its
 * signature. It is what a consumer not yet replaced runs during a rolling upgrade.
 */
async function oldClaimKeys(
  trx: Transaction<IdemTables>,
  consumerGroup: string,
  claims: readonly ProcessedMessageClaim[],
): Promise<Set<string>> {
  if (claims.length === 0) return new Set();
  const rows = await trx
    .insertInto('processed_messages')
    .values(
      claims.map((claim) => ({
        consumer_group: consumerGroup,
        idempotency_key: claim.idempotencyKey,
        original_key: claim.originalKey ?? null,
        // Headers are informational here; their safe form keeps a hostile one from failing the claim.
        message_id: toStorableText(claim.messageId),
        topic: toStorableText(claim.topic),
        tag: toStorableText(claim.tag),
        handler: claim.handler,
        payload_hash: claim.payloadHash,
        delivery_attempt: claim.deliveryAttempt,
        transport: claim.transport,
      })),
    )
    .onConflict((conflict) => conflict.columns(['consumer_group', 'idempotency_key']).doNothing())
    .returning('idempotency_key')
    .execute();
  return new Set(rows.map((row) => row.idempotency_key));
}

type Version = 'old' | 'new';

function claimOf(key: string): ProcessedMessageClaim {
  return {
    idempotencyKey: key,
    originalKey: undefined,
    messageId: `M-${key}`,
    topic: 'orders',
    tag: 'created',
    handler: 'OrderHandlers.onOrderCreated',
    payloadHash: createHash('sha256').update(key).digest(),
    deliveryAttempt: 1,
    transport: 'test',
  };
}

describe('consumers of the version before 0005 during a rolling upgrade (migration 0006)', () => {
  const database = useTestDatabase({ poolSize: 12 });

  /** Claims `keys` as `version` does, in one transaction; what it won gets one effect row. */
  async function claimAs(version: Version, keys: readonly string[]): Promise<Set<string>> {
    const { db, schema } = database();
    return await (db as unknown as Kysely<IdemTables>).transaction().execute(async (trx) => {
      const idem = trx.withSchema(schema);
      await sql`select set_config('lock_timeout', '2000ms', true)`.execute(idem);
      const claims = keys.map(claimOf);
      const won =
        version === 'old'
          ? await oldClaimKeys(idem, GROUP, claims)
          : await claimKeys(idem, { schema, consumerGroup: GROUP }, claims);
      for (const key of won) {
        await sql`insert into ${sql.table(`${schema}.effect_log`)} (key, version) values (${key}, ${version})`.execute(
          trx,
        );
      }
      // Holds the claims a moment, so the other version's claim of the key meets them uncommitted.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 4));
      return won;
    });
  }

  /** Delivers until the claim commits (won or duplicate), as the broker redelivers a failure. */
  async function deliver(version: Version, key: string, failures: string[]): Promise<void> {
    for (;;) {
      try {
        await claimAs(version, [key]);
        return;
      } catch (error) {
        failures.push(`${version}: ${(error as { code?: string }).code ?? String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  it('keeps old-version claims working and exactly once against new claims, racing on the same keys across the upgrade', async () => {
    const { db, schema } = database();
    await sql`create table ${sql.table(`${schema}.effect_log`)} (key text not null, version text not null)`.execute(
      db,
    );
    await migrateDownTo(db, schema, '0004-outbox');

    // Every key is claimed by two consumers at once: before the upgrade two old-version ones (a
    // new version refuses to start on the old schema), after it an old-version and a new-version
    // one, the one sent first alternating. The upgrade happens while they race.
    const failures: string[] = [];
    const racedAfterUpgrade = new Set<string>();
    let upgraded = false;
    let done = 0;
    let started = 0;
    const racer = async (): Promise<void> => {
      while (racedAfterUpgrade.size + RACERS <= KEYS_AFTER || !upgraded) {
        const index = started++;
        const key = `k-${index}`;
        const after = upgraded;
        const pair: [Version, Version] = !after
          ? ['old', 'old']
          : index % 2 === 0
            ? ['old', 'new']
            : ['new', 'old'];
        await Promise.all(pair.map((version) => deliver(version, key, failures)));
        if (after) racedAfterUpgrade.add(key);
        done += 1;
      }
    };
    const racing = Promise.all(Array.from({ length: RACERS }, racer));
    await expect.poll(() => done, { timeout: 30_000 }).toBeGreaterThanOrEqual(KEYS_BEFORE);
    expect(await migrateToLatest(db, { schema })).toMatchObject([
      { name: '0005-sliced-processed-messages', status: 'Success' },
      { name: '0006-old-version-claims', status: 'Success' },
      { name: '0007-plain-claim-insert', status: 'Success' },
    ]);
    upgraded = true;
    await racing;

    // Exactly one winner per key, whichever version it was.
    const effects = await sql<{ key: string; version: Version }>`
      select key, version from ${sql.table(`${schema}.effect_log`)} order by key`.execute(db);
    const byKey = new Map<string, Version[]>();
    for (const row of effects.rows) byKey.set(row.key, [...(byKey.get(row.key) ?? []), row.version]);
    expect([...byKey.values()].filter((versions) => versions.length !== 1)).toEqual([]);
    expect(byKey.size).toBe(started);
    // Both versions won keys they raced for after the upgrade: the race was real on both sides.
    const winners = effects.rows.filter((row) => racedAfterUpgrade.has(row.key)).map((row) => row.version);
    expect(racedAfterUpgrade.size).toBeGreaterThanOrEqual(KEYS_AFTER - RACERS);
    expect(winners).toContain('old');
    expect(winners).toContain('new');
    // No claim failed but on a lock wait (the migration's renames wait for claims in flight).
    expect(failures.filter((failure) => !/: 55P03$|: 40P01$/.test(failure))).toEqual([]);

    // After the race each version sees every key the other claimed, one key at a time and batched.
    const all = Array.from({ length: started }, (_, index) => `k-${index}`);
    expect(await claimAs('old', all.slice(0, 50))).toEqual(new Set());
    expect(await claimAs('new', all.slice(0, 50))).toEqual(new Set());
    for (const key of all.slice(50)) {
      expect(await claimAs('old', [key])).toEqual(new Set());
      expect(await claimAs('new', [key])).toEqual(new Set());
    }
    // Where the keys are: the old version's in its table, the new version's in the slices.
    const where = await sql<{ table: string; n: string }>`
      select 'processed_messages' as table, count(*) as n from ${sql.table(`${schema}.processed_messages`)}
      union all select 'processed_keys', count(*) from ${sql.table(`${schema}.processed_keys`)}
      order by 1`.execute(db);
    expect(where.rows.reduce((sum, row) => sum + Number(row.n), 0)).toBe(started);
  });

  it('skips in the old version a key a new consumer holds uncommitted, once that one commits', async () => {
    const { db, schema } = database();
    await sql`create table ${sql.table(`${schema}.effect_log`)} (key text not null, version text not null)`.execute(
      db,
    );
    // A new consumer holds 'held' uncommitted while an old consumer claims it, then commits.
    let release: () => void = () => {};
    const holding = new Promise<void>((resolve) => {
      release = resolve;
    });
    let claimedByNew = false;
    const newer = (db as unknown as Kysely<IdemTables>).transaction().execute(async (trx) => {
      const won = await claimKeys(trx.withSchema(schema), { schema, consumerGroup: GROUP }, [
        claimOf('held'),
      ]);
      claimedByNew = won.has('held');
      await holding;
    });
    let older: Promise<Set<string>> | undefined;
    try {
      await expect.poll(() => claimedByNew).toBe(true);
      older = claimAs('old', ['held', 'free']);
      // The old claim waits on the key's lock, not on a unique index it does not share.
      await expect
        .poll(async () => {
          const waiting = await sql<{ n: string }>`
            select count(*) as n from pg_stat_activity
            where wait_event_type = 'Lock' and wait_event = 'advisory'
              and query like ${`insert into "${schema}"."processed_messages"%`}`.execute(db);
          return Number(waiting.rows[0]?.n ?? 0);
        })
        .toBeGreaterThan(0);
    } finally {
      release();
    }
    await newer;
    // The key the new consumer committed is not the old one's; the other key is.
    expect(await older).toEqual(new Set(['free']));
  });
});
