import { inspect } from 'node:util';
import { createDatabase, IdemError } from '@idem/core';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { EffectTables } from '../../../test-support/effects/effects-database.js';
import { OrderHandlers, PaymentHandlers } from '../../../test-support/effects/order-handlers.js';
import { createHttpConsumer, type HttpConsumerOptions } from '../src/index.js';
import { httpTestKit, socketsTo } from './support/http-test-kit.js';

const SECRET = 'startup-test-secret-Zq81x';
const KEY_ID = 'startup-test-key-id-Yp27w';

async function startupError(start: Promise<void>): Promise<IdemError> {
  const error: unknown = await start.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!(error instanceof IdemError)) throw new Error(`expected an IdemError, got ${String(error)}`);
  return error;
}

describe('createHttpConsumer start-up checks', () => {
  const kit = httpTestKit();
  afterEach(() => kit.cleanUp());

  it('says the credentials were refused when the secret is wrong, without printing them', async () => {
    const peer = await kit.startPeer({ accessKeyId: KEY_ID, accessKeySecret: SECRET });
    const database = await kit.database();
    const wrongSecret = `${SECRET}-wrong`;
    const consumer = kit.consumer(peer, database, {
      handlers: [new OrderHandlers()],
      accessKeySecret: wrongSecret,
    });
    const error = await startupError(consumer.start());
    expect(error.code).toBe('INVALID_CONFIGURATION');
    expect(error.message).toMatch(/SignatureDoesNotMatch/);
    expect(error.message).toMatch(/check accessKeyId and accessKeySecret/);
    expect(error.message).not.toContain(SECRET);
    expect(error.message).not.toContain(KEY_ID);
    expect(consumer.health().status).toBe('stopped');
    expect(socketsTo(peer.port)).toEqual([]);
  });

  it('says the credentials were refused when the access key is unknown, without echoing it', async () => {
    const peer = await kit.startPeer({ accessKeyId: KEY_ID, accessKeySecret: SECRET });
    const database = await kit.database();
    const consumer = kit.consumer(peer, database, {
      handlers: [new OrderHandlers()],
      accessKeyId: 'unknown-key-id-Kx93',
    });
    const error = await startupError(consumer.start());
    expect(error.code).toBe('INVALID_CONFIGURATION');
    expect(error.message).toMatch(/AccessDenied/);
    // The service's message names the key; it is redacted.
    expect(error.message).not.toContain('unknown-key-id-Kx93');
    expect(error.message).toContain('[redacted]');
  });

  it('fails with BROKER_UNAVAILABLE naming the endpoint when nothing listens there', async () => {
    const peer = await kit.startPeer({ accessKeySecret: SECRET });
    const database = await kit.database();
    const endpoint = peer.endpoint;
    await peer.stop();
    const consumer = kit.consumer(peer, database, { handlers: [new OrderHandlers()] });
    const error = await startupError(consumer.start());
    expect(error.code).toBe('BROKER_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(endpoint);
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect(error.message).not.toContain(SECRET);
  });

  it('names a topic the instance does not have', async () => {
    const peer = await kit.startPeer({ topics: ['orders'] });
    const database = await kit.database();
    const consumer = kit.consumer(peer, database, { handlers: [new OrderHandlers(), new PaymentHandlers()] });
    const error = await startupError(consumer.start());
    expect(error.code).toBe('INVALID_CONFIGURATION');
    expect(error.message).toMatch(/TopicNotExist/);
    expect(error.message).toContain('"payments"');
  });

  it("passes onDatabaseUnavailableAtStart through: 'fail' rejects with DATABASE_UNAVAILABLE before any request to the endpoint", async () => {
    const peer = await kit.startPeer();
    const database = await kit.database();
    const unreachable = createDatabase<EffectTables>({
      connectionString: 'postgres://postgres@127.0.0.1:1/none',
    });
    try {
      const consumer = kit.consumer(peer, database, {
        handlers: [new OrderHandlers()],
        db: unreachable,
        onDatabaseUnavailableAtStart: 'fail',
      });
      const error = await startupError(consumer.start());
      expect(error.code).toBe('DATABASE_UNAVAILABLE');
      expect(error.message).toMatch(/Postgres is unreachable \(.*ECONNREFUSED/);
      expect(consumer.health().status).toBe('stopped');
      expect(socketsTo(peer.port)).toEqual([]);
    } finally {
      await unreachable.destroy();
    }
  });

  it('fails with SCHEMA_NOT_MIGRATED naming the schema before any request to the endpoint', async () => {
    const peer = await kit.startPeer();
    const database = await kit.database();
    const consumer = kit.consumer(peer, database, {
      handlers: [new OrderHandlers()],
      schema: 'never_migrated',
    });
    const error = await startupError(consumer.start());
    expect(error.code).toBe('SCHEMA_NOT_MIGRATED');
    expect(error.message).toContain('schema "never_migrated" does not exist');
    expect(error.message).toContain('idem migrate --schema never_migrated');
    expect(socketsTo(peer.port)).toEqual([]);
  });

  it('keeps the messages its start-up check received and processes them', async () => {
    const peer = await kit.startPeer();
    const database = await kit.database();
    peer.publish({ topic: 'orders', body: 'first', keys: 'order-1' });
    const consumer = kit.consumer(peer, database, { handlers: [new OrderHandlers()] });
    await consumer.start();
    await peer.idle('GID_billing', 'orders');
    expect(await database.effectCount()).toBe(1);
    expect(peer.stats().redeliveries).toBe(0);
  });

  it('shows no credential in its description, health or inspection', async () => {
    const peer = await kit.startPeer({ accessKeyId: KEY_ID, accessKeySecret: SECRET });
    const database = await kit.database();
    const consumer = kit.consumer(peer, database, { handlers: [new OrderHandlers()] });
    await consumer.start();
    const views = [
      inspect(consumer, { depth: 8, showHidden: true }),
      JSON.stringify(consumer.health()),
      inspect(consumer.processor, { depth: 8 }),
    ];
    for (const view of views) {
      expect(view).not.toContain(SECRET);
      expect(view).not.toContain(KEY_ID);
    }
  });
});

describe('createHttpConsumer option checks', () => {
  // A pool that never connects: the checks run before anything is used.
  const db = createDatabase<EffectTables>({ connectionString: 'postgres://idem@127.0.0.1:1/none' });
  afterAll(() => db.destroy());
  const base = {
    endpoint: 'http://127.0.0.1:1',
    accessKeyId: KEY_ID,
    accessKeySecret: SECRET,
    consumerGroup: 'GID_billing',
    db,
    handlers: [new OrderHandlers()],
  } satisfies HttpConsumerOptions<EffectTables>;

  const cases: [string, Partial<HttpConsumerOptions<EffectTables>>, RegExp][] = [
    ['an endpoint without a scheme', { endpoint: '127.0.0.1:8080' }, /option endpoint must be/],
    ['an endpoint with a path', { endpoint: 'http://mq.example.com/api' }, /option endpoint must be/],
    ['an empty secret', { accessKeySecret: '' }, /option accessKeySecret must be a non-empty string/],
    ['an empty access key id', { accessKeyId: ' ' }, /option accessKeyId must be a non-empty string/],
    ['a batch above 16', { batchSize: 17 }, /option batchSize must be an integer from 1 to 16/],
    ['a long poll of 0 s', { waitSeconds: 0 }, /option waitSeconds must be an integer from 1 to 30/],
    ['a long poll above 30 s', { waitSeconds: 31 }, /option waitSeconds must be an integer from 1 to 30/],
    ['an unknown mode', { mode: 'bulk' as 'batch' }, /option mode must be 'single' or 'batch'/],
    ['an instance id with a space', { instanceId: 'MQ INST' }, /option instanceId must be/],
    ['a group id that breaks the URL', { consumerGroup: 'GID&x=1' }, /option consumerGroup must be/],
    ['zero concurrency', { concurrency: 0 }, /option concurrency must be an integer >= 1/],
    [
      'an unknown start-up policy',
      { onDatabaseUnavailableAtStart: 'retry' as 'wait' },
      /option onDatabaseUnavailableAtStart must be 'wait' or 'fail'/,
    ],
  ];

  it.each(cases)('rejects %s with INVALID_CONFIGURATION naming the option', (_name, override, message) => {
    let thrown: unknown;
    try {
      createHttpConsumer({ ...base, ...override });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(IdemError);
    const error = thrown as IdemError;
    expect(error.code).toBe('INVALID_CONFIGURATION');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(SECRET);
  });

  it('does not echo an endpoint that carries credentials', () => {
    expect(() => createHttpConsumer({ ...base, endpoint: `http://user:${SECRET}@mq.example.com` })).toThrow(
      /not shown: it may hold credentials/,
    );
  });
});
