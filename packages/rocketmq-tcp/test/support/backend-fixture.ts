import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { type RocketMQBroker, type RocketMQPeer, startRocketMQPeer } from '@idem/testing';
import { afterEach } from 'vitest';
import {
  createEffectsDatabase,
  type EffectsDatabase,
  type EffectTables,
} from '../../../../test-support/effects/effects-database.js';
import type { OrderHandlers } from '../../../../test-support/effects/order-handlers.js';
import { createTcpConsumer, type TcpConsumer, type TcpConsumerOptions } from '../../src/index.js';
import { orderHandlersFor } from './order-handlers-for.js';
import { type SkippableTest, useRealBroker } from './real-broker.js';
import { type RealProducer, startRealProducer } from './real-producer.js';

/** Where a parameterised test runs: the in-process protocol peer or a real RocketMQ 5 broker. */
export type BackendName = 'peer' | 'broker';

/** Both backends, for `describe.each`. */
export const BACKENDS: readonly BackendName[] = ['peer', 'broker'];

/** Options of a test's {@link BackendSetup} call. */
export interface BackendTestOptions {
  /** A FIFO topic and consumer group (the peer: a FIFO group). */
  readonly fifo?: boolean;
}

/** One test's broker side (fresh topic and group), database and handlers. */
export interface BackendFixture {
  readonly backend: BackendName;
  readonly endpoints: string;
  readonly topic: string;
  readonly group: string;
  /** The peer, on the peer backend only (faults and delivery statistics). */
  readonly peer: RocketMQPeer | undefined;
  readonly database: EffectsDatabase;
  readonly handlers: OrderHandlers;
  /**
   * Adapter options this backend needs: the real proxy rejects invisible durations under 10 s
   * and clamps long polls to 5-20 s; the peer allows short ones, which keeps its tests fast.
   */
  readonly timing: { readonly invisibleDurationMs: number; readonly longPollingTimeoutMs: number };
  /** A consumer on this test's topic, group and database (options override), stopped after the test. */
  create(options?: Partial<TcpConsumerOptions<EffectTables>>): TcpConsumer;
  start(options?: Partial<TcpConsumerOptions<EffectTables>>): Promise<TcpConsumer>;
  /** Publishes `${prefix} i` with key `${prefix}-i`, in order within each message group. */
  publish(
    count: number,
    options?: { prefix?: string; messageGroup?: (index: number) => string },
  ): Promise<void>;
  /** Publishes one message with a raw body. */
  publishRaw(body: Buffer, key: string): Promise<void>;
  /** Restarts the broker: the peer's restart, or the real broker's graceful/kill restart. */
  restart(options: { mode: 'graceful' | 'kill'; downMs: number }): Promise<void>;
  /** Resolves once `condition` holds (polled every 50 ms). */
  waitFor(condition: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void>;
  /** Resolves once `condition` holds and `consumer` has nothing in flight. */
  settled(
    consumer: TcpConsumer,
    condition: () => Promise<boolean> | boolean,
    timeoutMs: number,
  ): Promise<void>;
}

/** Called at the start of a test; skips it when the real broker is unavailable here. */
export type BackendSetup = (ctx: SkippableTest, options?: BackendTestOptions) => Promise<BackendFixture>;

/**
 * Registers the hooks of one `describe` block on `backend`: for the real broker one broker for
 * the whole block (beforeAll), for the peer one peer per test; a fresh topic, group, database
 * schema and handlers per test; everything the test created is stopped after it.
 */
export function useBackend(backend: BackendName): BackendSetup {
  const brokerFor = backend === 'broker' ? useRealBroker() : undefined;
  let producer: RealProducer | undefined;
  const cleanups: (() => Promise<void>)[] = [];

  afterEach(async () => {
    // Consumers first (registered last), then producer, topic side and database.
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
    producer = undefined;
  });

  return async (ctx, { fifo = false } = {}) => {
    const suffix = randomBytes(4).toString('hex');
    const topic = `idem_${fifo ? 'fifo' : 'orders'}_${suffix}`;
    const group = `idem_billing_${suffix}`;
    let peer: RocketMQPeer | undefined;
    let broker: RocketMQBroker | undefined;
    let endpoints: string;
    if (backend === 'peer') {
      peer = await startRocketMQPeer({
        minInvisibleDurationMs: 1000,
        ...(fifo ? { fifoGroups: [group] } : {}),
      });
      const started = peer;
      cleanups.push(() => started.stop());
      endpoints = peer.endpoints;
    } else {
      broker = brokerFor?.(ctx);
      if (broker === undefined) throw new Error(`useBackend('${backend}') started no broker`);
      await broker.createTopic({ name: topic, type: fifo ? 'FIFO' : 'NORMAL' });
      await broker.createGroup({ name: group, fifo });
      endpoints = broker.endpoints;
    }
    const database = await createEffectsDatabase();
    cleanups.push(() => database.drop());
    const handlers = orderHandlersFor(topic);
    const timing =
      backend === 'peer'
        ? { invisibleDurationMs: 3000, longPollingTimeoutMs: 1000 }
        : { invisibleDurationMs: 10_000, longPollingTimeoutMs: 5000 };

    const send = async (
      messages: { body: string | Buffer; keys: string[]; messageGroup?: string }[],
      concurrency: number,
    ): Promise<void> => {
      if (peer !== undefined) {
        for (const message of messages) peer.publish({ topic, ...message });
        return;
      }
      if (producer === undefined) {
        producer = await startRealProducer(endpoints, [topic]);
        const started = producer;
        cleanups.push(() => started.shutdown());
      }
      await producer.sendAll(
        messages.map((message) => ({ topic, ...message })),
        { concurrency },
      );
    };
    const create = (options: Partial<TcpConsumerOptions<EffectTables>> = {}): TcpConsumer => {
      const consumer = createTcpConsumer<EffectTables>({
        endpoints,
        consumerGroup: group,
        db: database.db,
        schema: database.schema,
        handlers: [handlers],
        ...timing,
        ...options,
      });
      cleanups.push(() => consumer.stop());
      return consumer;
    };
    return {
      backend,
      endpoints,
      topic,
      group,
      peer,
      database,
      handlers,
      timing,
      create,
      async start(options = {}) {
        const consumer = create(options);
        await consumer.start();
        return consumer;
      },
      async publish(count, { prefix = 'order', messageGroup } = {}) {
        const messages = Array.from({ length: count }, (_, index) => {
          const group = messageGroup?.(index);
          return {
            body: `${prefix} ${index}`,
            keys: [`${prefix}-${index}`],
            ...(group === undefined ? {} : { messageGroup: group }),
          };
        });
        // Message groups keep their order only when sent one after another.
        await send(messages, messageGroup === undefined ? 32 : 1);
      },
      publishRaw: (body, key) => send([{ body, keys: [key] }], 1),
      async restart({ mode, downMs }) {
        if (peer !== undefined) await peer.restart({ downMs });
        else await broker?.restart({ mode, downMs });
      },
      async waitFor(condition, timeoutMs) {
        const giveUpAt = Date.now() + timeoutMs;
        while (!(await condition())) {
          if (Date.now() > giveUpAt) throw new Error(`condition not met within ${timeoutMs} ms`);
          await sleep(50);
        }
      },
      async settled(consumer, condition, timeoutMs) {
        const giveUpAt = Date.now() + timeoutMs;
        for (;;) {
          if ((await condition()) && consumer.health().inFlight === 0) {
            if (peer !== undefined)
              await peer.idle(group, { timeoutMs: Math.max(1000, giveUpAt - Date.now()) });
            return;
          }
          if (Date.now() > giveUpAt) {
            throw new Error(
              `not settled within ${timeoutMs} ms: ${JSON.stringify(consumer.health().outcomes)}, ${consumer.health().inFlight} in flight`,
            );
          }
          await sleep(100);
        }
      },
    };
  };
}
