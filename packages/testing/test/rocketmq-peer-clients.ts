// The real rocketmq-client-nodejs 1.0.8 clients, with the guards its bugs need (startup that waits
// forever for settings, failed startups that leave timers running, a logger with its own interval).
import { createRequire } from 'node:module';
import { format } from 'node:util';
import type * as RocketMQ from 'rocketmq-client-nodejs';
import { within } from '../../../test-support/within.js';

const require = createRequire(import.meta.url);

interface LoggerModule {
  getDefaultLogger: () => QuietLogger;
}

/** A logger that keeps lines in memory (for failure messages) instead of writing ~/logs. */
export interface QuietLogger {
  readonly lines: string[];
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  close(): void;
}

export function quietLogger(): QuietLogger {
  const lines: string[] = [];
  const keep =
    (level: string) =>
    (...args: unknown[]): void => {
      if (lines.length < 500) lines.push(`${level} ${format(...args)}`);
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
const loggerModule: LoggerModule = require('rocketmq-client-nodejs/dist/client/Logger');
loggerModule.getDefaultLogger = () => quietLogger();

/** The client package, loaded through the same CommonJS instance as the patched logger. */
export const rocketmq: typeof RocketMQ = require('rocketmq-client-nodejs');

interface Client {
  startup(): Promise<void>;
  shutdown(): Promise<void>;
}

/** Starts a client, shutting it down again when startup fails (A.4-6 leaves timers behind). */
export async function started<T extends Client>(client: T): Promise<T> {
  try {
    await within(client.startup(), 10_000, 'client startup');
    return client;
  } catch (error) {
    await within(client.shutdown(), 10_000, 'client shutdown').catch(() => {});
    throw error;
  }
}

/** Shuts clients down in order, each bounded (a PushConsumer with unacked messages can hang, A.4-8). */
export async function shutdownAll(...clients: (Client | undefined)[]): Promise<void> {
  for (const client of clients) {
    if (client !== undefined) await within(client.shutdown(), 15_000, 'client shutdown');
  }
}

export function simpleConsumer(
  endpoints: string,
  group: string,
  subscriptions: Record<string, string>,
  awaitDuration = 1000,
): RocketMQ.SimpleConsumer {
  return new rocketmq.SimpleConsumer({
    endpoints,
    namespace: '',
    consumerGroup: group,
    subscriptions: new Map(Object.entries(subscriptions)),
    awaitDuration,
    logger: quietLogger(),
  });
}

export function pushConsumer(
  endpoints: string,
  group: string,
  subscriptions: Record<string, string>,
  consume: (message: RocketMQ.MessageView) => Promise<RocketMQ.ConsumeResult> | RocketMQ.ConsumeResult,
): RocketMQ.PushConsumer {
  return new rocketmq.PushConsumer({
    endpoints,
    namespace: '',
    consumerGroup: group,
    subscriptions: new Map(Object.entries(subscriptions)),
    messageListener: { consume },
    logger: quietLogger(),
  });
}

export function producer(endpoints: string, topics: string[]): RocketMQ.Producer {
  return new rocketmq.Producer({ endpoints, namespace: '', topic: topics, logger: quietLogger() });
}

/** Receives until `count` messages arrived or `ms` passed; the consumer's long poll paces the loop. */
export async function receiveAtLeast(
  consumer: RocketMQ.SimpleConsumer,
  count: number,
  invisibleMs: number,
  ms = 10_000,
): Promise<RocketMQ.MessageView[]> {
  const received: RocketMQ.MessageView[] = [];
  const giveUpAt = Date.now() + ms;
  while (received.length < count && Date.now() < giveUpAt) {
    received.push(...(await consumer.receive(count - received.length, invisibleMs)));
  }
  return received;
}
