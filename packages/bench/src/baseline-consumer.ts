import { silentLogger } from '@idem/core';
import { type ReceivedMessage, waitOrAbort } from '@idem/core/adapter';
import { RocketMQTcpSource } from '@idem/rocketmq-tcp';
import type pg from 'pg';
import type { MessageView } from 'rocketmq-client-nodejs';
import { type BenchOrder, INSERT_EFFECT } from './bench-database.js';
import type { BenchMode } from './bench-row.js';
import { BENCH_TAG } from './effect-handlers.js';

/** Options of {@link startBaselineConsumer}. */
export interface BaselineConsumerOptions {
  readonly endpoints: string;
  readonly topic: string;
  readonly group: string;
  /** Where the effects go; `undefined`: no database at all, receive and ack only (the broker floor). */
  readonly pool: pg.Pool | undefined;
  readonly mode: BenchMode;
  readonly concurrency: number;
  readonly batchSize: number;
  /** Receives each message's insert time (the batch transaction's time in batch mode). */
  readonly onDispatched: (ms: number) => void;
  /** Called with the number of messages each ack confirmed. */
  readonly onAcked: (count: number) => void;
}

/** A running baseline consumer. */
export interface BaselineConsumer {
  stop(): Promise<void>;
}

/**
 * The consumer a team writes without Idem: the same rocketmq-client-nodejs SimpleConsumer (through
 * the same receive/ack wrapper), a plain insert per message and an ack after it committed. No
 * dedup, no lease extension, no outage handling: what Idem's figures are a ratio against.
 */
export async function startBaselineConsumer(options: BaselineConsumerOptions): Promise<BaselineConsumer> {
  const source = new RocketMQTcpSource({
    endpoints: options.endpoints,
    consumerGroup: options.group,
    namespace: '',
    subscriptions: [{ topic: options.topic, tagExpression: BENCH_TAG }],
    credentials: undefined,
    tls: false,
    invisibleDurationMs: 30_000,
    longPollingTimeoutMs: 10_000,
    requestTimeoutMs: 3000,
    startupTimeoutMs: 15_000,
    logger: silentLogger,
  });
  await source.start();
  const stopController = new AbortController();
  const { signal } = stopController;
  const tasks = new Set<Promise<void>>();
  let slotsUsed = 0;
  let wake: (() => void) | undefined;

  const { pool } = options;
  const ack = async (items: readonly ReceivedMessage<MessageView>[]): Promise<void> => {
    await source.ack(items.map((item) => item.receipt));
    options.onAcked(items.length);
  };
  const insert = async (client: pg.Pool | pg.PoolClient, item: ReceivedMessage<MessageView>) => {
    const order = JSON.parse(item.message.body.toString('utf8')) as BenchOrder;
    await client.query(INSERT_EFFECT, [order.id, order.orderId, order.amountCents]);
  };
  const handleOne = async (item: ReceivedMessage<MessageView>): Promise<void> => {
    const startedAt = performance.now();
    if (pool !== undefined) await insert(pool, item);
    options.onDispatched(performance.now() - startedAt);
    await ack([item]);
  };
  const handleBatch = async (items: ReceivedMessage<MessageView>[]): Promise<void> => {
    const startedAt = performance.now();
    if (pool !== undefined) await insertAll(pool, items);
    const ms = performance.now() - startedAt;
    for (const _ of items) options.onDispatched(ms);
    await ack(items);
  };
  const insertAll = async (pool: pg.Pool, items: ReceivedMessage<MessageView>[]): Promise<void> => {
    const client = await pool.connect();
    try {
      await client.query('begin');
      for (const item of items) await insert(client, item);
      await client.query('commit');
    } catch (error) {
      await client.query('rollback');
      throw error;
    } finally {
      client.release();
    }
  };
  const track = (slots: number, work: Promise<void>): void => {
    const task = work
      .catch((error: unknown) => {
        process.stderr.write(`baseline consumer: ${String(error)}\n`);
      })
      .finally(() => {
        tasks.delete(task);
        slotsUsed -= slots;
        wake?.();
      });
    tasks.add(task);
  };
  const room = options.mode === 'batch' ? Math.max(1, Math.floor(options.batchSize / 2)) : 1;
  const loop = (async () => {
    while (!signal.aborted) {
      while (options.concurrency - slotsUsed < room && !signal.aborted) {
        // waitOrAbort removes its abort listener: one left per wait would grow without bound.
        await waitOrAbort(signal, (resolve) => {
          wake = resolve;
        });
      }
      if (signal.aborted) break;
      const wanted = Math.min(options.batchSize, options.concurrency - slotsUsed);
      slotsUsed += wanted;
      const received = await source.receive(wanted, signal).catch(() => []);
      slotsUsed -= wanted - received.length;
      if (received.length === 0) continue;
      if (options.mode === 'batch') track(received.length, handleBatch(received));
      else for (const item of received) track(1, handleOne(item));
    }
  })();
  return {
    async stop() {
      stopController.abort();
      await loop;
      await Promise.allSettled([...tasks]);
      await source.close();
    },
  };
}
