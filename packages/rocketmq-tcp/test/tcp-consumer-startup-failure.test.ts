import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEffectsDatabase,
  type EffectsDatabase,
} from '../../../test-support/effects/effects-database.js';
import { createTcpConsumer } from '../src/index.js';
import { startupFailureReason } from '../src/startup-failure-reason.js';
import { orderHandlersFor } from './support/order-handlers-for.js';

/** A loopback port nothing listens on: bound once by the OS, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly err?: { readonly message: string; readonly stack: string; readonly code: string };
}

describe('createTcpConsumer when the endpoint refuses connections', () => {
  let database: EffectsDatabase | undefined;
  afterEach(async () => {
    await database?.drop();
  });

  it('logs one error line that names the endpoint and the refused connection first', async () => {
    const lines: LogLine[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line));
        done();
      },
    });
    // What a service does: pino, and the start failure logged with its error.
    const logger = pino({ level: 'debug' }, sink);
    database = await createEffectsDatabase();
    const endpoints = `127.0.0.1:${await closedPort()}`;
    const consumer = createTcpConsumer({
      endpoints,
      consumerGroup: 'billing',
      db: database.db,
      schema: database.schema,
      handlers: [orderHandlersFor('orders')],
      logger,
    });
    const failure = await consumer.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    logger.error({ err: failure }, 'consumer did not start');

    const loud = lines.filter((line) => line.level >= 40);
    expect(loud).toHaveLength(1);
    const err = loud[0]?.err;
    expect(err?.code).toBe('BROKER_UNAVAILABLE');
    expect(err?.message).toMatch(
      new RegExp(
        `^cannot start consuming from RocketMQ at ${endpoints}: connection refused \\(connect ECONNREFUSED ${endpoints}\\)`,
      ),
    );
    // The client's wrappers are gone from the chain: only the root cause follows.
    expect(err?.stack.match(/caused by:/g) ?? []).toHaveLength(1);
    // The client's own retry errors are still there for debugging, at debug level.
    expect(lines.some((line) => line.level === 20 && /clientLevel|route/i.test(JSON.stringify(line)))).toBe(
      true,
    );
  });
});

describe('startupFailureReason', () => {
  it('names the socket error of the innermost cause first', () => {
    const root = new Error(
      '14 UNAVAILABLE: No connection established. Last error: Error: connect ECONNREFUSED 10.0.0.7:8081. Resolution note: ',
    );
    const wrapped = new Error('Startup the rocketmq client failed', {
      cause: new Error('Failed to fetch topic routes after 3 attempts', { cause: root }),
    });
    expect(startupFailureReason(wrapped)).toEqual({
      reason: 'connection refused (connect ECONNREFUSED 10.0.0.7:8081)',
      rootCause: root,
    });
  });

  it('falls back to the first line of the root message when no socket error is named', () => {
    const root = new Error('CODE: 40402, topic not found\nmore');
    expect(startupFailureReason(new Error('wrapper', { cause: root })).reason).toBe(
      'CODE: 40402, topic not found',
    );
  });
});
