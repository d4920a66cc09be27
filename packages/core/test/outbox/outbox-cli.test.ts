import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createOutboxRelay, type OutboxRelay } from '../../src/outbox/create-outbox-relay.js';
import { sendInTransaction } from '../../src/outbox/send-in-transaction.js';
import { idem } from '../operations/operations-support.js';
import { outboxRows } from '../support/outbox-rows.js';
import { RecordingProducer } from '../support/recording-producer.js';
import { useTestDatabase } from '../support/test-database.js';

describe('idem outbox', () => {
  const database = useTestDatabase();
  const relays: OutboxRelay[] = [];
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
  });

  async function send(topic: string, key: string, messageGroup?: string): Promise<void> {
    const { db, schema } = database();
    await db.transaction().execute(async (trx) => {
      await sendInTransaction(
        trx,
        { topic, keys: [key], body: key, ...(messageGroup === undefined ? {} : { messageGroup }) },
        { schema },
      );
    });
  }

  it('lists unsent rows, retries failed ones, and purges only what is failed or sent', async () => {
    const { db, schema, url } = database();
    await send('no-such-topic', 'lost');
    await send('orders', 'waiting');
    await sql`update ${sql.table(`${schema}.outbox`)} set status = 'failed', attempts = 1,
      last_error = 'MESSAGE_REJECTED: topic no-such-topic does not exist' where keys = '{lost}'`.execute(db);
    const [lost, waiting] = (await outboxRows(database())).map((row) => row.id);

    const list = await idem(['outbox', 'list', '--schema', schema], url);
    expect(list.code).toBe(0);
    expect(list.out[0]).toBe('id  status  created  topic:tag  keys  group  attempts  last error');
    expect(list.out[1]).toMatch(
      new RegExp(
        `^${lost}  failed  \\S+  no-such-topic:\\*  lost  -  1  MESSAGE_REJECTED: topic no-such-topic does not exist$`,
      ),
    );
    expect(list.out[2]).toMatch(new RegExp(`^${waiting}  pending  \\S+  orders:\\*  waiting  -  0  $`));
    const failedOnly = await idem(
      ['outbox', 'list', '--status', 'failed', '--json', '--schema', schema],
      url,
    );
    expect(JSON.parse(failedOnly.stdout)).toEqual([expect.objectContaining({ id: lost, status: 'failed' })]);

    const purgePending = await idem(['outbox', 'purge', String(waiting), '--schema', schema], url);
    expect(purgePending.code).toBe(1);
    expect(purgePending.stderr).toContain(`not failed or sent (unknown id, or still pending): ${waiting}`);

    const retry = await idem(['outbox', 'retry', '--failed', '--schema', schema], url);
    expect(retry.out).toEqual([`Retrying 1 row(s): ${lost}.`]);
    expect((await outboxRows(database())).map((row) => row.status)).toEqual(['pending', 'pending']);

    await sql`update ${sql.table(`${schema}.outbox`)} set status = 'failed' where id = ${lost}`.execute(db);
    const purge = await idem(['outbox', 'purge', '--failed', '--schema', schema], url);
    expect(purge.out).toEqual([`Purged 1 row(s): ${lost}.`]);
    expect((await outboxRows(database())).map((row) => row.keys[0])).toEqual(['waiting']);

    expect((await idem(['outbox', 'purge', '--schema', schema], url)).code).toBe(2);
  });

  it('resumes a held message group in order once its failed row is retried', async () => {
    const { db, schema, url } = database();
    await send('audit', 'first', 'g1');
    await send('orders', 'second', 'g1');
    const producer = new RecordingProducer();
    producer.rejectedTopics.add('audit');
    const relay = createOutboxRelay({
      db,
      schema,
      producer,
      pollIntervalMs: 60_000,
      listenConnectionString: url,
    });
    relays.push(relay);
    await relay.start();
    await expect
      .poll(async () => (await outboxRows(database())).map((row) => row.status))
      .toEqual(['failed', 'pending']);

    producer.rejectedTopics.clear(); // the topic was created
    const retry = await idem(
      ['outbox', 'retry', (await outboxRows(database()))[0]?.id ?? '', '--schema', schema],
      url,
    );
    expect(retry.code).toBe(0);

    await expect
      .poll(() => producer.confirmed.map((message) => message.keys[0]))
      .toEqual(['first', 'second']);
  });
});
