import { type RocketMQPeer, type RocketMQPeerOptions, startRocketMQPeer } from '@idem/testing';
import { afterEach, beforeEach } from 'vitest';
import {
  createEffectsDatabase,
  type EffectsDatabase,
  type EffectTables,
} from '../../../../test-support/effects/effects-database.js';
import { OrderHandlers } from '../../../../test-support/effects/order-handlers.js';
import { createTcpConsumer, type TcpConsumer, type TcpConsumerOptions } from '../../src/index.js';

export const GROUP = 'billing';

/** Per-test peer, database and handlers, with a consumer factory that the fixture stops. */
export interface TcpFixture {
  readonly peer: RocketMQPeer;
  readonly database: EffectsDatabase;
  readonly handlers: OrderHandlers;
  /** A consumer on this test's peer and database (options override), stopped after the test. */
  create(options?: Partial<TcpConsumerOptions<EffectTables>>): TcpConsumer;
  /** {@link TcpFixture.create} and start. */
  start(options?: Partial<TcpConsumerOptions<EffectTables>>): Promise<TcpConsumer>;
  publish(count: number, options?: { prefix?: string; messageGroup?: (index: number) => string }): void;
}

/** Registers hooks that build a fresh fixture for every test and tear it down after. */
export function useTcpFixture(peerOptions: RocketMQPeerOptions = {}): () => TcpFixture {
  let fixture: TcpFixture | undefined;
  const consumers: TcpConsumer[] = [];
  beforeEach(async () => {
    const peer = await startRocketMQPeer({ minInvisibleDurationMs: 1000, ...peerOptions });
    const database = await createEffectsDatabase();
    const handlers = new OrderHandlers();
    const create = (options: Partial<TcpConsumerOptions<EffectTables>> = {}): TcpConsumer => {
      const consumer = createTcpConsumer<EffectTables>({
        endpoints: peer.endpoints,
        consumerGroup: GROUP,
        db: database.db,
        schema: database.schema,
        handlers: [handlers],
        invisibleDurationMs: 3000,
        longPollingTimeoutMs: 1000,
        ...options,
      });
      consumers.push(consumer);
      return consumer;
    };
    fixture = {
      peer,
      database,
      handlers,
      create,
      async start(options = {}) {
        const consumer = create(options);
        await consumer.start();
        return consumer;
      },
      publish(count, { prefix = 'order', messageGroup } = {}) {
        for (let index = 0; index < count; index += 1) {
          const group = messageGroup?.(index);
          peer.publish({
            topic: 'orders',
            body: `${prefix} ${index}`,
            keys: [`${prefix}-${index}`],
            ...(group === undefined ? {} : { messageGroup: group }),
          });
        }
      },
    };
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    await fixture?.peer.stop();
    await fixture?.database.drop();
    fixture = undefined;
  });
  return () => {
    if (fixture === undefined) throw new Error('useTcpFixture() is only usable inside a test');
    return fixture;
  };
}
