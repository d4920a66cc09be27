import type { IdemConsumer, IdemConsumerOptions } from '@idem/core';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { OrderHandlers } from '../../../test-support/effects/order-handlers.js';
import { LogRecorder } from '../../../test-support/log-recorder.js';
import { createHttpConsumer, type HttpConsumer, type HttpConsumerOptions } from '../src/index.js';
import { httpTestKit, publishOrders } from './support/http-test-kit.js';

const SECRET = 'http-options-test-secret-Wm58k';

describe('createHttpConsumer options', () => {
  const kit = httpTestKit();
  afterEach(() => kit.cleanUp());

  it('takes namespace and longPollingTimeoutMs, the names the TCP adapter uses, and the old spellings still', async () => {
    const peer = await kit.startPeer();
    const database = await kit.database();
    const handlers = [new OrderHandlers()];
    const spellings: Partial<HttpConsumerOptions>[] = [
      { namespace: 'MQ_INST_1', longPollingTimeoutMs: 1500 },
      { instanceId: 'MQ_INST_2', waitSeconds: 1 },
    ];
    for (const [index, spelling] of spellings.entries()) {
      const namespace = `MQ_INST_${index + 1}`;
      peer.publish({
        topic: 'orders',
        body: `order ${index}`,
        keys: `order-${index}`,
        instanceId: namespace,
      });
      const consumer = kit.consumer(peer, database, { handlers, ...spelling });
      await consumer.start();
      await expect.poll(() => consumer.health().outcomes.processed, { timeout: 30_000 }).toBe(1);
      await consumer.stop();
    }
    expect(await database.effectCount()).toBe(2);
  });

  it.each([
    [
      'a long poll under 1 s',
      { longPollingTimeoutMs: 500 },
      /option longPollingTimeoutMs must be .* from 1000 to 30000/,
    ],
    ['a namespace with a space', { namespace: 'MQ INST' }, /option namespace must be/],
    ['a negative shutdown timeout', { shutdownTimeoutMs: -1 }, /option shutdownTimeoutMs must be/],
    [
      'an unknown message-group policy',
      { onMessageGroupDeadLetter: 'skip' as 'continue' },
      /onMessageGroupDeadLetter/,
    ],
  ] satisfies [string, Partial<HttpConsumerOptions>, RegExp][])(
    'rejects %s with INVALID_CONFIGURATION naming the option',
    async (_name, override, message) => {
      const peer = await kit.startPeer();
      const database = await kit.database();
      expect(() => kit.consumer(peer, database, { handlers: [new OrderHandlers()], ...override })).toThrow(
        expect.objectContaining({ code: 'INVALID_CONFIGURATION', message: expect.stringMatching(message) }),
      );
    },
  );

  it('keeps the access key secret out of every line it logs, whatever carried it there', async () => {
    const peer = await kit.startPeer({ accessKeySecret: SECRET });
    const database = await kit.database();
    const logger = new LogRecorder();
    const consumer = kit.consumer(peer, database, { handlers: [new OrderHandlers()], logger });
    // The message key holds the secret: the consumer's per-message lines name the key.
    publishOrders(peer, 1, SECRET);
    await consumer.start();
    await expect.poll(() => consumer.health().outcomes.processed, { timeout: 30_000 }).toBe(1);
    await consumer.stop();
    expect(logger.linesContaining(SECRET)).toEqual([]);
    expect(logger.linesContaining('***-0')).not.toEqual([]);
  });

  it('takes every option every Idem consumer takes, and is an IdemConsumer', () => {
    expectTypeOf<keyof IdemConsumerOptions>().toExtend<keyof HttpConsumerOptions>();
    expectTypeOf<HttpConsumer>().toEqualTypeOf<IdemConsumer>();
    expectTypeOf(createHttpConsumer).returns.toEqualTypeOf<IdemConsumer>();
  });
});
