import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it, vi } from 'vitest';
import { createProcessor } from '../src/create-processor.js';
import { Consumer, Subscribe } from '../src/decorators/handler-metadata.js';
import type { DispatchResult } from '../src/dispatch-result.js';
import type { HandlerContext } from '../src/handler-context.js';
import type { InboundMessage } from '../src/message.js';
import { cleanupProcessedMessages } from '../src/operations/cleanup-processed-messages.js';
import { inboundMessage } from './support/messages.js';
import { useTestDatabase } from './support/test-database.js';

interface LogTables {
  effect_log: { key: string; message_id: string };
}

/** Runs inside the first delivery's transaction, after its key was claimed and before commit. */
type WhileClaimHeld = (ctx: HandlerContext<LogTables>) => Promise<void>;

/** Appends to an unconstrained log, so a second effect for a key would be counted, not rejected. */
@Consumer({ group: 'slices' })
class LoggingHandler {
  whileClaimHeld: WhileClaimHeld | undefined;

  @Subscribe({ topic: 'orders' })
  async handle(_body: unknown, ctx: HandlerContext<LogTables>): Promise<void> {
    await ctx.trx
      .insertInto('effect_log')
      .values({ key: ctx.idempotencyKey, message_id: ctx.message.messageId })
      .execute();
    if (ctx.message.properties.race === '1') await this.whileClaimHeld?.(ctx);
  }
}

const HOUR = 3_600_000;

// A key: how many deliveries race for it, and whether a deployment before the upgrade to slices
// already stored it (in the legacy table, inside the window).
// `acrossRotation`: the first delivery, holding its claim, switches the current slice and only
// then lets a duplicate start, so the duplicate's claim goes to a newer slice than the first's.
const keySpec = fc.record({
  deliveries: fc.integer({ min: 2, max: 4 }),
  legacy: fc.boolean(),
  acrossRotation: fc.boolean(),
});
// What runs at once: the deliveries (alone or two in a batch) and retention runs that switch the
// current slice (slices of 1 ms) and drop the slices of earlier runs, in a generated order.
const plan = fc.record({
  keys: fc.array(keySpec, { minLength: 1, maxLength: 4 }),
  rotations: fc.integer({ min: 1, max: 4 }),
  batched: fc.boolean(),
  seed: fc.integer(),
});

describe('deduplication across time slices (property)', () => {
  const database = useTestDatabase({ poolSize: 10 });

  it('processes each key exactly once while deliveries race slice rotations and drops', async () => {
    const { db, schema } = database();
    await db.schema
      .createTable('effect_log')
      .addColumn('key', 'text')
      .addColumn('message_id', 'text')
      .execute();
    const handler = new LoggingHandler();
    const processor = createProcessor({ db, schema, handlers: [handler], maxAttempts: 1000 });
    const table = (name: string) => sql.table(`${schema}.${name}`);
    const rotate = () =>
      cleanupProcessedMessages(db, {
        schema,
        dedupWindowMs: HOUR,
        sliceMs: 1,
        slicesAhead: 1,
        lockTimeoutMs: 200,
      });
    let run = 0;

    await fc.assert(
      fc.asyncProperty(plan, async ({ keys, rotations, batched, seed }) => {
        run += 1;
        // Everything stored by earlier runs is now past the window, so this run's rotations drop
        // those slices while this run's claims read the partitioned table.
        await sql`update ${table('processed_message_slices')} set starts_at = starts_at - interval '2 hours'`.execute(
          db,
        );
        const names = keys.map((_, index) => `run${run}-key${index}`);
        const legacy = names.filter((_, index) => keys[index]?.legacy === true);
        // Stored as the old layout did, with the payload hash of the same body (a true duplicate).
        for (const key of legacy) {
          const hash = createHash('sha256')
            .update(inboundMessage({ json: { key } }).body)
            .digest();
          await sql`
            insert into ${table('processed_messages')}
              (consumer_group, idempotency_key, message_id, topic, tag, handler, payload_hash, delivery_attempt, transport)
            values ('slices', ${key}, ${`legacy-${key}`}, 'orders', '', 'LoggingHandler.handle', ${hash}, 1, 'test')`.execute(
            db,
          );
        }

        const messages: InboundMessage[] = names.flatMap((key, index) =>
          Array.from({ length: keys[index]?.deliveries ?? 0 }, (_, copy) =>
            inboundMessage({
              messageId: `${key}-${copy}`,
              keys: [key],
              json: { key },
              properties: copy === 0 && keys[index]?.acrossRotation === true ? { race: '1' } : {},
            }),
          ),
        );
        const lateDuplicates: Promise<DispatchResult>[] = [];
        handler.whileClaimHeld = async (ctx) => {
          // Until this handler's own run switched the slice (another run may hold the lock).
          while ((await rotate()).status !== 'done') {}
          const late = processor.dispatch(
            inboundMessage({ ...ctx.message, messageId: `${ctx.message.messageId}-late`, properties: {} }),
          );
          lateDuplicates.push(late);
          // Let the duplicate claim while this claim is uncommitted: wait until it either waits
          // for a lock or has finished (which, without the per-key lock, it would: a second
          // processing in the newer slice).
          let finished = false;
          void late.finally(() => {
            finished = true;
          });
          await vi.waitFor(
            async () => {
              const waiting = await sql<{ n: number }>`
                select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`.execute(
                db,
              );
              if (!finished && (waiting.rows[0]?.n ?? 0) === 0) throw new Error('duplicate not blocked yet');
            },
            { timeout: 10_000, interval: 5 },
          );
        };
        // A generated interleaving: deliveries and rotations launched in a shuffled order.
        type Task = () => Promise<DispatchResult[]>;
        const tasks: Task[] = [];
        for (let i = 0; i < messages.length; i += batched ? 2 : 1) {
          const group = messages.slice(i, i + (batched ? 2 : 1));
          tasks.push(() => (group.length > 1 ? processor.dispatchBatch(group) : dispatchAll(group)));
        }
        for (let i = 0; i < rotations; i += 1) {
          tasks.push(async () => {
            await rotate();
            return [];
          });
        }
        const order = shuffle(tasks, seed);
        const results = (await Promise.all(order.map((task) => task()))).flat();
        results.push(...(await Promise.all(lateDuplicates)));

        // Deliveries that failed (a lock timeout behind a drop) come back, as the broker would
        // redeliver them, until they settle.
        let pending = results.filter((result) => result.outcome === 'failed');
        const settled = results.filter((result) => result.outcome !== 'failed');
        for (let round = 0; pending.length > 0 && round < 20; round += 1) {
          const again = await dispatchAll(
            pending.map(
              (result) =>
                messages.find((message) => message.messageId === result.messageId) as InboundMessage,
            ),
          );
          settled.push(...again.filter((result) => result.outcome !== 'failed'));
          pending = again.filter((result) => result.outcome === 'failed');
        }
        expect(pending).toEqual([]);

        const effects = await sql<{ key: string; n: number }>`
          select key, count(*)::int as n from effect_log where key like ${`run${run}-%`} group by key`.execute(
          db,
        );
        const expected = names.filter((name) => !legacy.includes(name)).map((key) => ({ key, n: 1 }));
        expect(effects.rows.sort((a, b) => a.key.localeCompare(b.key))).toEqual(expected);
        const processed = settled
          .filter((result) => result.outcome === 'processed')
          .map((result) => result.key);
        expect(processed.sort()).toEqual(expected.map((row) => row.key));
        expect(
          settled.every((result) => result.outcome === 'processed' || result.outcome === 'duplicate'),
        ).toBe(true);
      }),
      { numRuns: 30 },
    );

    async function dispatchAll(group: readonly InboundMessage[]): Promise<DispatchResult[]> {
      return await Promise.all(group.map((message) => processor.dispatch(message)));
    }
  });
});

/** A deterministic shuffle (fast-check replays a failure with the same seed). */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0 || 1;
  for (let i = out.length - 1; i > 0; i -= 1) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
