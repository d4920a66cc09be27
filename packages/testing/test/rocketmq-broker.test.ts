// A real Apache RocketMQ 5 broker (Maven Central jars) driven by the real rocketmq-client-nodejs
// 1.0.8 clients, guarded against the client's hangs and leaked timers. When java, mvn or the jars are
// missing, every test fails with the RocketMQBrokerError that says what to install; on a
// developer machine (IDEM_REQUIRE_REAL_BROKER not 1) it is skipped with that reason printed.
import { EventEmitter } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { format } from 'node:util';
import type * as RocketMQ from 'rocketmq-client-nodejs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { within } from '../../../test-support/within.js';
import { type RocketMQBroker, realBrokerSkipReason, startRocketMQBroker } from '../src/index.js';

const require = createRequire(import.meta.url);

interface QuietLogger {
  readonly lines: string[];
  info(): void;
  debug(): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  close(): void;
}

/** Keeps warnings and errors in memory for failure messages instead of writing ~/logs. */
function quietLogger(): QuietLogger {
  const lines: string[] = [];
  const keep =
    (level: string) =>
    (...args: unknown[]): void => {
      if (lines.length < 200) lines.push(`${level} ${format(...args)}`);
    };
  return {
    lines,
    info: () => {},
    debug: () => {},
    warn: keep('warn'),
    error: keep('error'),
    close: () => {},
  };
}

// A.4-11: the PushConsumer's consume services call getDefaultLogger(), an egg-logger whose 1 s
// interval never stops; replace it before any consumer is constructed.
const loggerModule: {
  getDefaultLogger: () => unknown;
} = require('rocketmq-client-nodejs/dist/client/Logger');
loggerModule.getDefaultLogger = () => quietLogger();
const rocketmq: typeof RocketMQ = require('rocketmq-client-nodejs');

// A.4-10: release() ends a telemetry stream and removes all its listeners; if the proxy has not
// completed the stream when the broker goes away, grpc-js emits 'error' with no listener, which
// is an uncaught exception. Keep a no-op listener on every telemetry stream, even after release().
const rpcClientModule: {
  RpcClient: { prototype: { telemetry(this: unknown, ...args: unknown[]): unknown } };
} = require('rocketmq-client-nodejs/dist/client/RpcClient');
const openTelemetry = rpcClientModule.RpcClient.prototype.telemetry;
rpcClientModule.RpcClient.prototype.telemetry = function guardedTelemetry(this: unknown, ...args: unknown[]) {
  const stream = openTelemetry.apply(this, args);
  if (stream instanceof EventEmitter) {
    const ignore = (): void => {};
    const removeAllListeners = stream.removeAllListeners.bind(stream);
    stream.removeAllListeners = (...names: (string | symbol)[]) => {
      removeAllListeners(...names);
      return stream.on('error', ignore);
    };
    stream.on('error', ignore);
  }
  return stream;
};

interface Client {
  startup(): Promise<void>;
  shutdown(): Promise<void>;
}

/** A.4-5/6: startup can hang, and a failed one leaves timers behind. */
async function started<T extends Client>(client: T): Promise<T> {
  try {
    await within(client.startup(), 15_000, 'client startup');
    return client;
  } catch (error) {
    await within(client.shutdown(), 10_000, 'client shutdown').catch(() => {});
    throw error;
  }
}

/** A.4-8/9: shutdown can hang, and must happen while the broker is still up. */
async function shutdownAll(...clients: (Client | undefined)[]): Promise<void> {
  for (const client of clients) {
    if (client !== undefined) await within(client.shutdown(), 20_000, 'client shutdown');
  }
}

function producer(endpoints: string, topics: string[]): RocketMQ.Producer {
  return new rocketmq.Producer({ endpoints, namespace: '', topic: topics, logger: quietLogger() });
}

function simpleConsumer(
  endpoints: string,
  group: string,
  topic: string,
  tag: string,
): RocketMQ.SimpleConsumer {
  return new rocketmq.SimpleConsumer({
    endpoints,
    namespace: '',
    consumerGroup: group,
    subscriptions: new Map([[topic, tag]]),
    awaitDuration: 2000,
    logger: quietLogger(),
  });
}

/** A PushConsumer that records every delivery by its first key and acks it. */
function recordingPushConsumer(
  endpoints: string,
  group: string,
  topic: string,
  tag: string,
): { consumer: RocketMQ.PushConsumer; received: Map<string, number> } {
  const received = new Map<string, number>();
  const consumer = new rocketmq.PushConsumer({
    endpoints,
    namespace: '',
    consumerGroup: group,
    subscriptions: new Map([[topic, tag]]),
    logger: quietLogger(),
    messageListener: {
      consume(message) {
        const key = message.keys[0] ?? message.messageId;
        received.set(key, (received.get(key) ?? 0) + 1);
        return rocketmq.ConsumeResult.SUCCESS;
      },
    },
  });
  return { consumer, received };
}

/** Sends, retrying while the broker is still coming back (the client's own 3 attempts are quick). */
async function sendEventually(
  client: RocketMQ.Producer,
  message: RocketMQ.MessageOptions,
  ms: number,
): Promise<void> {
  const giveUpAt = Date.now() + ms;
  for (;;) {
    try {
      await within(client.send(message), 10_000, 'send');
      return;
    } catch (error) {
      if (Date.now() > giveUpAt) throw error;
      await sleep(500);
    }
  }
}

/** True while `pid` is a live process; a zombie (exited, not yet reaped by its parent) is dead. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

const TOPIC = 'idem_broker_orders';
const FIFO_TOPIC = 'idem_broker_fifo';

describe('startRocketMQBroker (real RocketMQ 5, real rocketmq-client-nodejs)', () => {
  let startedBroker: RocketMQBroker | undefined;
  let startFailure: unknown;
  const clients: Client[] = [];
  // Every test fails with the start error (e.g. JAVA_NOT_FOUND and how to fix it) instead of
  // being skipped, which is what a failing beforeAll would report.
  const running = (ctx: { skip(note: string): never }): RocketMQBroker => {
    if (startedBroker !== undefined) return startedBroker;
    const reason = realBrokerSkipReason(startFailure);
    if (reason !== undefined) ctx.skip(reason);
    throw startFailure;
  };

  beforeAll(async () => {
    startedBroker = await startRocketMQBroker({
      topics: [{ name: TOPIC }, { name: FIFO_TOPIC, type: 'FIFO' }],
      groups: [
        { name: 'idem_simple' },
        { name: 'idem_push', maxRetryTimes: 3 },
        { name: 'idem_fifo', fifo: true },
      ],
    }).catch((error: unknown) => {
      startFailure = error;
      return undefined;
    });
  }, 600_000);

  afterAll(async () => {
    await shutdownAll(...clients.splice(0)).catch(() => {});
    await startedBroker?.stop();
  });

  it('delivers every message of a real Producer to a real SimpleConsumer, keys and tag intact', async (ctx) => {
    const broker = running(ctx);
    const sender = await started(producer(broker.endpoints, [TOPIC]));
    const receiver = await started(simpleConsumer(broker.endpoints, 'idem_simple', TOPIC, 'created'));
    clients.push(receiver, sender);
    const keys = Array.from({ length: 10 }, (_, index) => `order-${index}`);
    for (const key of keys) {
      await sender.send({ topic: TOPIC, tag: 'created', keys: [key], body: Buffer.from(`body of ${key}`) });
    }
    const received: RocketMQ.MessageView[] = [];
    const giveUpAt = Date.now() + 30_000;
    while (received.length < keys.length && Date.now() < giveUpAt) {
      for (const message of await receiver.receive(16, 15_000)) {
        received.push(message);
        await receiver.ack(message);
      }
    }
    expect(received.map((message) => message.keys[0]).sort()).toEqual([...keys].sort());
    for (const message of received) {
      expect(message.tag).toBe('created');
      expect(message.body.toString()).toBe(`body of ${message.keys[0]}`);
      expect(message.deliveryAttempt).toBe(1);
    }
  });

  it('delivers FIFO messages to a FIFO group in order', async (ctx) => {
    const broker = running(ctx);
    const sender = await started(producer(broker.endpoints, [FIFO_TOPIC]));
    const receiver = await started(simpleConsumer(broker.endpoints, 'idem_fifo', FIFO_TOPIC, '*'));
    clients.push(receiver, sender);
    for (let index = 0; index < 3; index++) {
      await sender.send({
        topic: FIFO_TOPIC,
        messageGroup: 'customer-1',
        keys: [`step-${index}`],
        body: Buffer.from('x'),
      });
    }
    const order: string[] = [];
    const giveUpAt = Date.now() + 30_000;
    while (order.length < 3 && Date.now() < giveUpAt) {
      for (const message of await receiver.receive(16, 15_000)) {
        expect(message.messageGroup).toBe('customer-1');
        order.push(message.keys[0] ?? '');
        await receiver.ack(message);
      }
    }
    expect(order).toEqual(['step-0', 'step-1', 'step-2']);
  });

  it('creates topics and groups after the start, usable at once', async (ctx) => {
    const broker = running(ctx);
    await broker.createTopic('idem_broker_late');
    await broker.createGroup({ name: 'idem_late' });
    const sender = await started(producer(broker.endpoints, ['idem_broker_late']));
    const { consumer, received } = recordingPushConsumer(
      broker.endpoints,
      'idem_late',
      'idem_broker_late',
      '*',
    );
    clients.push(await started(consumer), sender);
    await sender.send({ topic: 'idem_broker_late', keys: ['late-1'], body: Buffer.from('late') });
    await expect
      .poll(() => received.has('late-1'), {
        timeout: 30_000,
        interval: 100,
        message: 'delivery on a topic created after the start',
      })
      .toBe(true);
  });

  for (const mode of ['kill', 'graceful'] as const) {
    it(`keeps a PushConsumer and a Producer working across restart({ mode: '${mode}' })`, async (ctx) => {
      const broker = running(ctx);
      const sender = await started(producer(broker.endpoints, [TOPIC]));
      const { consumer, received } = recordingPushConsumer(broker.endpoints, 'idem_push', TOPIC, mode);
      await started(consumer);
      try {
        await sender.send({ topic: TOPIC, tag: mode, keys: [`${mode}-before`], body: Buffer.from('before') });
        await expect
          .poll(() => received.has(`${mode}-before`), {
            timeout: 30_000,
            interval: 100,
            message: 'delivery before the restart',
          })
          .toBe(true);
        const pidsBefore = broker.pids;

        await broker.restart({ mode, downMs: 2000 });

        expect(broker.pids[0]).toBe(pidsBefore[0]); // the name server stayed up
        expect(broker.pids[1]).not.toBe(pidsBefore[1]); // the broker is a new JVM
        expect(isAlive(pidsBefore[1] ?? 0)).toBe(false);
        await sendEventually(
          sender,
          { topic: TOPIC, tag: mode, keys: [`${mode}-after`], body: Buffer.from('after') },
          30_000,
        );
        await expect
          .poll(() => received.has(`${mode}-after`), {
            timeout: 60_000,
            interval: 100,
            message: `delivery after restart({ mode: '${mode}' })`,
          })
          .toBe(true);
      } finally {
        await shutdownAll(consumer, sender);
      }
    }, 180_000);
  }

  it('answers as an external broker when ROCKETMQ_ENDPOINTS is set, and refuses to restart it', async (ctx) => {
    const broker = running(ctx);
    process.env.ROCKETMQ_ENDPOINTS = broker.endpoints;
    try {
      const external = await startRocketMQBroker({ topics: [{ name: TOPIC }] });
      expect(external.external).toBe(true);
      expect(external.endpoints).toBe(broker.endpoints);
      expect(external.pids).toEqual([]);
      await expect(external.restart({ mode: 'kill' })).rejects.toMatchObject({ code: 'EXTERNAL_BROKER' });
      await expect(external.createTopic('idem_broker_absent')).rejects.toMatchObject({
        code: 'TOPIC_NOT_FOUND',
      });
      await external.stop();
    } finally {
      delete process.env.ROCKETMQ_ENDPOINTS;
    }
  });

  it('stop() leaves no Java process behind', async (ctx) => {
    const broker = running(ctx);
    await shutdownAll(...clients.splice(0));
    const pids = broker.pids;
    expect(pids).toHaveLength(2);
    const logsDir = broker.logsDir;
    await broker.stop();
    expect(pids.filter(isAlive)).toEqual([]);
    expect(broker.pids).toEqual([]);
    expect(logsDir !== undefined && existsSync(logsDir)).toBe(false);
    await expect(broker.restart()).rejects.toMatchObject({ code: 'BROKER_STOPPED' });
  });
});
