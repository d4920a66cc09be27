import { freePort } from '../internal/free-port.js';
import { BrokerModel } from './broker-model.js';
import { ConditionWaiters } from './condition-waiters.js';
import { KEYS_PROPERTY, SHARDING_KEY_PROPERTY, START_DELIVER_TIME_PROPERTY } from './message-properties.js';
import {
  DEFAULT_MQ_HTTP_ACCESS_KEY_ID,
  DEFAULT_MQ_HTTP_ACCESS_KEY_SECRET,
  type MqHttpPeer,
  type MqHttpPeerMessage,
  type MqHttpPeerOptions,
} from './mq-http-peer.js';
import { MqHttpPeerError } from './mq-http-peer-error.js';
import { MqHttpServer } from './mq-http-server.js';
import type { PeerContext } from './peer-context.js';
import { PeerCounters } from './peer-stats.js';

const DEFAULT_INVISIBLE_TIME_MS = 3000;

/**
 * Starts an ApsaraMQ for RocketMQ HTTP API peer on 127.0.0.1 that the real
 * `@aliyunmq/mq-http-sdk` publishes to, consumes from and acks on unchanged, checking its
 * signatures, with fault injection: outages, duplicate deliveries, lost acks, slow answers.
 *
 * Broker semantics: each consumer group gets every message of a topic once, independently;
 * a delivered message is invisible for `invisibleTimeMs`, then delivered again with
 * ConsumedTimes + 1 and a new receipt handle; a handle acks once and only until
 * NextConsumeTime; tag filters (`a||b`); ordered consumption holds back a sharding key until
 * its delivered messages are acked; the instance id (`ns`) is a namespace.
 *
 * @example
 * ```ts
 * const peer = await startMqHttpPeer({ invisibleTimeMs: 1500 });
 * const client = new MQClient(peer.endpoint, peer.accessKeyId, peer.accessKeySecret);
 * await client.getProducer('', 'orders').publishMessage('{"id":1}', 'created');
 * const { body } = await client.getConsumer('', 'orders', 'GID_a').consumeMessage(16, 3);
 * await peer.stop();
 * ```
 */
export async function startMqHttpPeer(options: MqHttpPeerOptions = {}): Promise<MqHttpPeer> {
  const accessKeyId = options.accessKeyId ?? DEFAULT_MQ_HTTP_ACCESS_KEY_ID;
  const accessKeySecret = options.accessKeySecret ?? DEFAULT_MQ_HTTP_ACCESS_KEY_SECRET;
  if (accessKeyId === '' || accessKeySecret === '') {
    throw new MqHttpPeerError('INVALID_OPTIONS', 'accessKeyId and accessKeySecret must not be empty');
  }
  const invisibleTimeMs = positive('invisibleTimeMs', options.invisibleTimeMs ?? DEFAULT_INVISIBLE_TIME_MS);
  const orderedInvisibleTimeMs = positive(
    'orderedInvisibleTimeMs',
    options.orderedInvisibleTimeMs ?? invisibleTimeMs,
  );
  const random = options.random ?? Math.random;
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const counters = new PeerCounters();
  const broker = new BrokerModel({ invisibleTimeMs, orderedInvisibleTimeMs, counters, random });
  const context: PeerContext = {
    broker,
    counters,
    credentials: new Map([[accessKeyId, accessKeySecret]]),
    topics: options.topics === undefined ? undefined : new Set(options.topics),
    faults: { loseAckRate: 0, loseAckEffect: 'random', slowMs: 0 },
    random,
    hostId: endpoint,
  };
  const server = await MqHttpServer.start(context, port);
  const waiters = new ConditionWaiters((listener) => broker.onChange(listener));
  let stopped: Promise<void> | undefined;

  const pending = (group: string, topic?: string, instanceId?: string): number =>
    broker.pending({ group, topic, namespace: instanceId });

  return {
    endpoint,
    port,
    accessKeyId,
    accessKeySecret,
    get outageActive() {
      return server.outages.mode !== undefined;
    },
    publish: (message) => broker.publish(toPublishInput(message)).id,
    outage: (outageOptions) => server.outages.start(outageOptions),
    duplicateDeliveries(rate) {
      broker.duplicateRate = checkRate('duplicateDeliveries', rate);
    },
    loseAcks(rate, loseOptions = {}) {
      context.faults.loseAckRate = checkRate('loseAcks', rate);
      context.faults.loseAckEffect = loseOptions.effect ?? 'random';
    },
    slow(ms) {
      context.faults.slowMs = ms === 0 ? 0 : positive('slow', ms);
    },
    stats: () => counters.snapshot(),
    messages: (topic, instanceId) =>
      broker.messages(instanceId ?? '', topic).map((message) => ({
        messageId: message.id,
        body: message.body,
        tag: message.tag,
        properties: Object.fromEntries(message.properties),
      })),
    pending: (group, topic, instanceId) => pending(group, topic, instanceId),
    idle: (group, topic, idleOptions = {}) =>
      waiters.wait({
        condition: () => pending(group, topic, idleOptions.instanceId) === 0,
        timeoutMs: idleOptions.timeoutMs,
        describe: () =>
          `group ${group} still has ${pending(group, topic, idleOptions.instanceId)} unacked message(s) on ${topic ?? 'its topics'}`,
      }),
    waitUntil: (condition, waitOptions = {}) =>
      waiters.wait({
        condition,
        timeoutMs: waitOptions.timeoutMs,
        describe: () => 'the condition stayed false',
      }),
    stop() {
      stopped ??= (async () => {
        waiters.stop();
        await server.stop();
      })();
      return stopped;
    },
  };
}

function toPublishInput(message: MqHttpPeerMessage): Parameters<BrokerModel['publish']>[0] {
  if (message.topic === '') throw new MqHttpPeerError('INVALID_OPTIONS', 'publish needs a topic');
  const properties = new Map<string, string>();
  for (const [key, value] of Object.entries(message.properties ?? {})) {
    if (key === '' || value === '' || /[|:]/.test(key) || /[|:]/.test(value)) {
      throw new MqHttpPeerError(
        'INVALID_OPTIONS',
        `property ${JSON.stringify(key)}=${JSON.stringify(value)} is empty or contains "|" or ":"`,
      );
    }
    properties.set(key, value);
  }
  const keys = typeof message.keys === 'string' ? message.keys : message.keys?.join(' ');
  if (keys !== undefined && keys !== '') properties.set(KEYS_PROPERTY, keys);
  if (message.shardingKey !== undefined) properties.set(SHARDING_KEY_PROPERTY, message.shardingKey);
  if (message.startDeliverTime !== undefined)
    properties.set(START_DELIVER_TIME_PROPERTY, String(message.startDeliverTime));
  return {
    namespace: message.instanceId ?? '',
    topic: message.topic,
    body: message.body,
    tag: message.tag === '' ? undefined : message.tag,
    properties,
  };
}

function checkRate(name: string, rate: number): number {
  if (!(rate >= 0 && rate <= 1))
    throw new MqHttpPeerError('INVALID_OPTIONS', `${name} rate must be in [0, 1], got ${rate}`);
  return rate;
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) {
    throw new MqHttpPeerError('INVALID_OPTIONS', `${name} must be a finite number above 0, got ${value}`);
  }
  return value;
}
