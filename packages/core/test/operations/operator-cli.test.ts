import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { advisoryLockKey } from '../../src/operations/advisory-lock.js';
import { sendInTransaction } from '../../src/outbox/send-in-transaction.js';
import { createProcessor } from '../../src/processor/create-processor.js';
import { OrderHandlers } from '../support/handlers.js';
import { inboundMessage } from '../support/messages.js';
import { useTestDatabase } from '../support/test-database.js';
import { backdate, idem, insertProcessedKeys } from './operations-support.js';

const DAY = 86_400_000;
const fixtureConfig = fileURLToPath(new URL('./fixtures/idem.config.mjs', import.meta.url));

describe('idem operator CLI', () => {
  const database = useTestDatabase();

  async function deadLetterIds(): Promise<string[]> {
    const { db, schema } = database();
    const result = await sql<{
      id: string;
    }>`select id from ${sql.table(`${schema}.dead_letters`)} order by id`.execute(db);
    return result.rows.map((row) => String(row.id));
  }

  describe('idem cleanup', () => {
    it('drops expired slices and prints what it dropped, created and the lag', async () => {
      const { schema, url } = database();
      expect((await idem(['cleanup', '--older-than', '4d', '--schema', schema], url)).code).toBe(0);
      await insertProcessedKeys(database(), { count: 25, ageMs: 0 });
      await backdate(database(), 6 * DAY);
      await insertProcessedKeys(database(), { count: 2, ageMs: 0, prefix: 'young-' });

      const run = await idem(['cleanup', '--older-than', '4d', '--schema', schema], url);

      expect(run.code).toBe(0);
      expect(run.out[0]).toMatch(
        new RegExp(
          `^Dropped 2 expired slice\\(s\\) \\(~\\d+ keys\\) older than 4d, created 3 slice\\(s\\) ahead, .* \\(schema "${schema}"\\)\\.$`,
        ),
      );
      expect(run.out[1]).toMatch(/^Lag: the oldest slice started (3d 23h 59m \d+s|4d( \d+s)?) ago \(/);
      expect(run.err).toEqual([]);
      expect(await database().count('processed_keys')).toBe(2);
    });

    it('warns on stderr when the window is shorter than broker retention plus retry horizon', async () => {
      const { schema, url } = database();
      const run = await idem(['cleanup', '--older-than', '12h', '--schema', schema], url);
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/^warning: dedup window 12h is shorter than broker retention 3d/);
      expect(run.stdout).toContain('created 2 slice(s) ahead');
    });

    it('says it skipped when another instance is cleaning, and exits 0', async () => {
      const { schema, url } = database();
      const other = new pg.Client(url);
      await other.connect();
      try {
        await other.query('select pg_advisory_lock($1::bigint)', [
          advisoryLockKey(`idem:retention:${schema}`),
        ]);
        const run = await idem(['cleanup', '--older-than', '7d', '--schema', schema], url);
        expect(run).toMatchObject({
          code: 0,
          out: [`Skipped: another instance is cleaning schema "${schema}".`],
        });
      } finally {
        await other.end();
      }
    });

    it('exits 2 on a missing or unreadable duration', async () => {
      const { url } = database();
      expect((await idem(['cleanup', '--slice', 'soon'], url)).code).toBe(2);
      const bad = await idem(['cleanup', '--older-than', 'a week'], url);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/cannot read duration "a week"/);
      expect((await idem(['cleanup', '--older-than', '7d', '--batch-size', '0'], url)).code).toBe(2);
    });
  });

  describe('idem dead-letters', () => {
    async function seed(): Promise<OrderHandlers> {
      const { db, schema } = database();
      const handlers = new OrderHandlers();
      const processor = createProcessor({ db, schema, handlers: [handlers], consumerGroup: 'billing' });
      handlers.rejectNext = true;
      await processor.dispatch(
        inboundMessage({
          keys: ['order-1'],
          properties: { traceId: 'abc' },
          json: { orderId: 'o-1', amount: 7 },
        }),
      );
      await processor.dispatch(inboundMessage({ keys: ['binary'], body: Buffer.from([0xff, 0x00, 0x10]) }));
      return handlers;
    }

    it('lists open dead letters as text and JSON', async () => {
      const { schema, url } = database();
      await seed();
      const text = await idem(['dead-letters', 'list', '--schema', schema], url);
      expect(text.code).toBe(0);
      expect(text.out).toHaveLength(3);
      expect(text.out[1]).toMatch(
        /^\d+ {2}\S+ {2}billing {2}orders:created {2}BODY_DECODE_FAILED {2}key=binary {2}x1 {2}open$/,
      );
      expect(text.out[2]).toContain('HANDLER_REJECTED  key=order-1');

      const json = await idem(
        ['dead-letters', 'list', '--json', '--group', 'billing', '--limit', '1', '--schema', schema],
        url,
      );
      expect(JSON.parse(json.stdout)).toEqual([
        expect.objectContaining({ idempotencyKey: 'binary', bodyBytes: 3 }),
      ]);
    });

    it('shows headers, reason, error, and the body as text, or base64 when it is not UTF-8', async () => {
      const { schema, url } = database();
      await seed();
      const [textId, binaryId] = await deadLetterIds();
      const shown = await idem(['dead-letters', 'show', String(textId), '--schema', schema], url);
      expect(shown.code).toBe(0);
      expect(shown.out).toEqual(
        expect.arrayContaining([
          `Dead letter ${textId} (open)`,
          'reason: HANDLER_REJECTED',
          expect.stringMatching(/^error: OrderHandlers\.onOrderCreated rejected message .*unknown customer$/),
          '  traceId: abc',
          'body (28 bytes, utf-8):',
          '{"orderId":"o-1","amount":7}',
        ]),
      );
      const binary = await idem(
        ['dead-letters', 'show', String(binaryId), '--json', '--schema', schema],
        url,
      );
      expect(JSON.parse(binary.stdout)).toMatchObject({ body: { encoding: 'base64', text: '/wAQ' } });

      expect((await idem(['dead-letters', 'show', '999999', '--schema', schema], url)).code).toBe(1);
      expect((await idem(['dead-letters', 'show', 'abc', '--schema', schema], url)).code).toBe(2);
    });

    it('replays through the handlers of the config module and resolves what got processed', async () => {
      const { schema, url } = database();
      await seed();
      const [textId, binaryId] = await deadLetterIds();

      const run = await idem(
        ['dead-letters', 'replay', '--all', '--config', fixtureConfig, '--schema', schema],
        url,
      );

      // The fixed handler processed the order; the undecodable body is dead-lettered again.
      expect(run.code).toBe(1);
      expect(run.out).toEqual([
        expect.stringMatching(/^Replaying through consumer group "billing"/),
        `✓ ${textId} replayed: processed by FixedOrderHandlers.onOrderCreated`,
        expect.stringMatching(
          new RegExp(`^✗ ${binaryId} dead-lettered: dead-lettered again: BODY_DECODE_FAILED`),
        ),
        'Replayed 1; still open 1; skipped 0.',
      ]);
      expect(run.stderr).toBe('idem: 1 dead letter(s) not replayed (see above)');
      expect(await database().effects()).toEqual([{ key: 'order-1', handler: 'fixed', value: 7 }]);

      const again = await idem(
        ['dead-letters', 'replay', String(textId), '--config', fixtureConfig, '--schema', schema],
        url,
      );
      expect(again.out[1]).toBe(`- ${textId} skipped: already resolved (replayed)`);
    });

    it('exits 2 with the fix when the config is missing or wrong, or the selection is', async () => {
      const { schema, url } = database();
      const missing = await idem(
        ['dead-letters', 'replay', '1', '--config', '/nonexistent/idem.config.js'],
        url,
      );
      expect(missing).toMatchObject({ code: 2 });
      expect(missing.stderr).toMatch(
        /config file \/nonexistent\/idem\.config\.js does not exist: pass --config <path>/,
      );
      expect(
        (await idem(['dead-letters', 'replay', '--config', fixtureConfig, '--schema', schema], url)).code,
      ).toBe(2);
      expect(
        (await idem(['dead-letters', 'replay', '1', '--all', '--config', fixtureConfig], url)).code,
      ).toBe(2);
      expect((await idem(['dead-letters', 'purge'], url)).code).toBe(2);
    });

    it('purges by id and with --all, keeping the rows', async () => {
      const { schema, url } = database();
      await seed();
      const [first, second] = await deadLetterIds();
      const one = await idem(['dead-letters', 'purge', String(first), '--schema', schema], url);
      expect(one).toMatchObject({ code: 0, out: [`Purged 1 dead letter(s): ${first}.`] });

      const again = await idem(['dead-letters', 'purge', String(first), '--schema', schema], url);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain(
        `not open (unknown id, already resolved, or another consumer group): ${first}`,
      );

      expect((await idem(['dead-letters', 'purge', '--all', '--schema', schema], url)).out).toEqual([
        `Purged 1 dead letter(s): ${second}.`,
      ]);
      expect(await database().count('dead_letters')).toBe(2);
      const listed = await idem(['dead-letters', 'list', '--include-resolved', '--schema', schema], url);
      expect(listed.out.slice(1).every((line) => line.endsWith('  purged'))).toBe(true);
    });
  });

  describe('idem stats', () => {
    it('prints keys per group, sizes, oldest and newest, and open dead letters by reason', async () => {
      const { db, schema, url } = database();
      await insertProcessedKeys(database(), { count: 3, ageMs: 2 * DAY, group: 'billing' });
      await insertProcessedKeys(database(), { count: 2, ageMs: DAY, group: 'shipping' });
      const processor = createProcessor({
        db,
        schema,
        handlers: [new OrderHandlers()],
        consumerGroup: 'billing',
      });
      await processor.dispatch(inboundMessage({ body: Buffer.from('x') }));
      await processor.dispatch(inboundMessage({ body: Buffer.from('y') }));

      const json = await idem(['stats', '--json', '--schema', schema], url);
      expect(json.code).toBe(0);
      const stats = JSON.parse(json.stdout);
      expect(stats).toMatchObject({
        schema,
        processedMessages: {
          total: 5,
          byConsumerGroup: [
            { consumerGroup: 'billing', count: 3 },
            { consumerGroup: 'shipping', count: 2 },
          ],
        },
        deadLetters: {
          open: 2,
          resolved: 0,
          openByReason: [{ consumerGroup: 'billing', reason: 'BODY_DECODE_FAILED', count: 2 }],
        },
      });
      expect(stats.processedMessages.totalBytes).toBeGreaterThan(0);
      expect(new Date(stats.processedMessages.oldestAt).getTime()).toBeLessThan(
        Date.now() - 2 * DAY + 60_000,
      );

      const text = await idem(['stats', '--schema', schema], url);
      expect(text.out[0]).toBe(`Idem in schema "${schema}" at ${url.replace(':idem@', ':***@')}`);
      expect(text.out[1]).toMatch(/^processed keys: 5 \(\d+(\.\d)? kB on disk\), oldest /);
      expect(text.out).toContain('  billing  BODY_DECODE_FAILED: 2');
      expect(text.out).toContain('outbox: 0 pending, 0 failed, 0 sent and kept');
      expect(stats.outbox).toMatchObject({ pending: 0, failed: 0, sent: 0, heldGroups: 0 });
      expect(text.stdout).not.toContain(':idem@');
    });

    it("prints the outbox's pending rows with the oldest one's age, and its failed rows", async () => {
      const { db, schema, url } = database();
      await db.transaction().execute(async (trx) => {
        for (const key of ['a', 'b', 'c']) {
          await sendInTransaction(trx, { topic: 'orders', keys: [key], body: key }, { schema });
        }
      });
      const outbox = sql.table(`${schema}.outbox`);
      await sql`update ${outbox} set created_at = now() - interval '90 minutes' where keys = array['a']`.execute(
        db,
      );
      await sql`update ${outbox} set status = 'failed' where keys = array['c']`.execute(db);

      const json = JSON.parse((await idem(['stats', '--json', '--schema', schema], url)).stdout);
      expect(json.outbox).toMatchObject({ pending: 2, failed: 1, sent: 0, heldGroups: 0 });
      expect(json.outbox.oldestPendingAgeSeconds).toBeGreaterThanOrEqual(5400);
      const text = await idem(['stats', '--schema', schema], url);
      expect(text.out.at(-1)).toMatch(
        /^outbox: 2 pending \(oldest \d{4}-\d\d-\d\dT[\d:.]+Z, 1h 30m( \d+s)? old\), 1 failed, 0 sent and kept$/,
      );
    });
  });

  describe('idem doctor', () => {
    it('passes every check for a migrated schema with a safe window, as the owner', async () => {
      const { schema, url } = database();
      const run = await idem(['doctor', '--dedup-window', '7d', '--schema', schema], url);
      expect(run.out.slice(1).map((line) => line.slice(0, 2))).toEqual([
        '✓ ',
        '✓ ',
        '✓ ',
        '✓ ',
        '✓ ',
        '✓ ',
        'Al',
      ]);
      expect(run.out).toContain('✓ outbox delivering: no pending row, 0 failed');
      expect(run.out.at(-1)).toBe('All 6 checks passed.');
      expect(run.code).toBe(0);
      expect(run.stdout).not.toContain(':idem@');
    });

    it('fails with a fix when the window is unsafe or retention is not running', async () => {
      const { schema, url } = database();
      await insertProcessedKeys(database(), { count: 1, ageMs: 0 });
      await backdate(database(), 30 * DAY);
      const run = await idem(
        ['doctor', '--dedup-window', '2d', '--broker-retention', '3d', '--schema', schema],
        url,
      );
      expect(run.code).toBe(1);
      expect(run.out).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^✗ dedup window safe: dedup window 2d is shorter than broker retention 3d/),
          '    fix: set the dedup window (retention) to at least 3d 4h 45m 40s',
          expect.stringMatching(
            /^✗ retention keeping up: the oldest processed key is 30d( \d+s)? old, window 2d/,
          ),
          '    fix: start retention (startRetention) in the consumers, or schedule `idem cleanup --older-than 2d`',
        ]),
      );
      expect(run.stderr).toBe('idem: doctor: 2 of 6 checks failed');
    });

    it('warns, without failing, on an outbox row that failed for good or a pending row older than the limit', async () => {
      const { db, schema, url } = database();
      await db.transaction().execute(async (trx) => {
        await sendInTransaction(trx, { topic: 'orders', keys: ['a'], body: '1' }, { schema });
        await sendInTransaction(
          trx,
          { topic: 'nope', keys: ['b'], body: '2', messageGroup: 'g1' },
          { schema },
        );
      });
      const outbox = sql.table(`${schema}.outbox`);
      await sql`update ${outbox} set created_at = now() - interval '2 hours' where topic = 'orders'`.execute(
        db,
      );

      const old = await idem(['doctor', '--schema', schema, '--outbox-max-age', '1h'], url);
      expect(old.out).toContain(
        '! outbox delivering: 2 pending (the oldest 2h old), 0 failed: older than 1h',
      );
      expect(old.out).toContain(
        '    fix: run an outbox relay on this schema (or give the consumers a producer), and check that its producer reaches the broker (its log says so once per outage)',
      );
      expect(old.out.at(-1)).toBe('No check failed; 1 warning(s) to look at.');
      expect(old.code).toBe(0);

      await sql`update ${outbox} set status = 'failed', last_error = 'MESSAGE_REJECTED: no topic' where topic = 'nope'`.execute(
        db,
      );
      const failed = await idem(['doctor', '--schema', schema], url);
      expect(failed.out).toEqual(
        expect.arrayContaining([
          '! outbox delivering: 1 pending (the oldest 2h old), 1 failed, 1 message group(s) held',
          expect.stringMatching(/^ {4}fix: read the reasons with `idem outbox list --status failed/),
        ]),
      );
      expect(failed.code).toBe(0);
    });

    it('fails with the fix on a schema that was never migrated', async () => {
      const { url } = database();
      const run = await idem(['doctor', '--schema', 'idem_never_migrated'], url);
      expect(run.code).toBe(1);
      expect(run.out).toEqual(
        expect.arrayContaining([
          '✗ schema migrated and current: schema idem_never_migrated: 7 pending migration(s): 0001-initial-schema, 0002-message-group-quarantine, 0003-hostile-input, 0004-outbox, 0005-sliced-processed-messages, 0006-old-version-claims, 0007-plain-claim-insert',
          "    fix: run `idem migrate --schema idem_never_migrated` as the schema's owner (the migration role)",
        ]),
      );
    });

    it('fails when the database was migrated by a newer @idem/core than this one', async () => {
      const { db, schema, url } = database();
      await sql`insert into ${sql.table(`${schema}.idem_migration`)} (name, timestamp) values ('0099-from-the-future', now())`.execute(
        db,
      );
      const run = await idem(['doctor', '--schema', schema], url);
      expect(run.code).toBe(1);
      expect(run.out).toContain(
        `✗ schema migrated and current: schema ${schema} has migrations this @idem/core does not know: 0099-from-the-future`,
      );
    });

    it('fails on an unreachable database without printing the password', async () => {
      const run = await idem(['doctor'], 'postgres://someone:s3cret@127.0.0.1:1/none');
      expect(run.code).toBe(1);
      expect(run.out[0]).toBe('Idem doctor: schema "idem" at postgres://someone:***@127.0.0.1:1/none');
      expect(run.out[1]).toMatch(/^✗ database reachable: /);
      expect(run.out.join('\n') + run.stderr).not.toContain('s3cret');
    });
  });
});
