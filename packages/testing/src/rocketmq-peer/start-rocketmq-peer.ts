import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../internal/free-port.js';
import { BrokerModel } from './broker-model.js';
import { FaultSettings } from './fault-settings.js';
import { type DurableContext, GrpcGeneration } from './grpc-generation.js';
import { loadMessagingService } from './load-messaging-service.js';
import { resolvePeerConfig } from './peer-config.js';
import { RocketMQPeerError } from './rocketmq-peer-error.js';
import type {
  RocketMQPeer,
  RocketMQPeerIdleOptions,
  RocketMQPeerOptions,
  RocketMQPeerPublishInput,
} from './rocketmq-peer-types.js';
import { SocketListener } from './socket-listener.js';
import { newMessageId, toPeerMessage } from './stored-message.js';
import { waitUntil } from './wait-until.js';
import { wireEndpoints } from './wire-codec.js';

const DEFAULT_WAIT_MS = 15_000;

/**
 * Starts an in-process RocketMQ 5 broker peer that the real `rocketmq-client-nodejs` Producer,
 * SimpleConsumer and PushConsumer use unchanged over a real socket, with fault injection
 * (restart, dropped connections, duplicate deliveries, lost acks, slow responses) and counters
 * for assertions. It speaks `apache.rocketmq.v2.MessagingService` as loaded from the client's
 * own `.proto` files and behaves like the Apache proxy where clients can tell.
 *
 * @example
 * ```ts
 * const peer = await startRocketMQPeer({ minInvisibleDurationMs: 500 });
 * peer.publish({ topic: 'orders', body: '{"id":1}', tag: 'created', keys: ['order-1'] });
 * const consumer = new SimpleConsumer({ endpoints: peer.endpoints, consumerGroup: 'billing',
 *   subscriptions: new Map([['orders', '*']]), awaitDuration: 1000 });
 * // ... start it, receive, ack ...
 * await peer.idle('billing');
 * await consumer.shutdown(); // clients first, then the peer
 * await peer.stop();
 * ```
 */
export async function startRocketMQPeer(options: RocketMQPeerOptions = {}): Promise<RocketMQPeer> {
  const config = resolvePeerConfig(options);
  const service = loadMessagingService();
  const host = config.host;
  const port = options.port ?? (await freePort(host));
  const model = new BrokerModel({
    maxDeliveryAttempts: config.maxDeliveryAttempts,
    fifoGroups: config.fifoGroups,
  });
  const faults = new FaultSettings(config.random);
  const durable: DurableContext = {
    model,
    faults,
    config,
    endpoints: advertised(options.advertisedEndpoints) ?? wireEndpoints(host, port),
    storeHost: `${host}:${port}`,
  };
  const listener = new SocketListener(host, port);
  let generation = new GrpcGeneration(service, durable);
  listener.setConnectionHandler((socket) => generation.accept(socket));
  try {
    await listener.listen();
  } catch (error) {
    generation.crash();
    throw error;
  }

  const stopController = new AbortController();
  let restarting: Promise<void> = Promise.resolve();
  const ensureRunning = (): void => {
    if (stopController.signal.aborted)
      throw new RocketMQPeerError('PEER_STOPPED', 'the RocketMQ peer was stopped');
  };

  const restartOnce = async (downMs: number): Promise<void> => {
    if (stopController.signal.aborted) return;
    model.counters.countRestart();
    generation.crash();
    await listener.close();
    // The crashed broker renews nothing: PushConsumer deliveries turn visible one lease later.
    model.releaseLeases(undefined, config.pushInvisibleDurationMs);
    try {
      await sleep(downMs, undefined, { signal: stopController.signal });
    } catch {
      return; // stopped while down
    }
    if (stopController.signal.aborted) return;
    generation = new GrpcGeneration(service, durable);
    await listener.listen();
  };

  const pendingIn = (group: string, topics: readonly string[]): string =>
    topics.map((topic) => `${topic}: ${model.pending(group, topic)} pending`).join(', ') ||
    'no topic subscribed yet';

  const peer: RocketMQPeer = {
    endpoints: `${host}:${port}`,
    host,
    port,

    publish(message: RocketMQPeerPublishInput): string {
      ensureRunning();
      if (message.topic === '') throw new RocketMQPeerError('INVALID_ARGUMENT', 'publish needs a topic');
      const messageGroup = message.messageGroup === '' ? undefined : message.messageGroup;
      const deliverAt = message.deliverAt?.getTime();
      const stored = model.publish(message.topic, {
        messageId: message.messageId ?? newMessageId(),
        body:
          typeof message.body === 'string' ? Buffer.from(message.body, 'utf8') : Buffer.from(message.body),
        tag: message.tag === '' ? undefined : message.tag,
        keys: [...(message.keys ?? [])],
        properties: { ...(message.properties ?? {}) },
        messageGroup,
        messageType: messageGroup !== undefined ? 'fifo' : deliverAt !== undefined ? 'delay' : 'normal',
        bornAt: Date.now(),
        bornHost: 'idem-rocketmq-peer',
        deliverAt,
      });
      return stored.messageId;
    },

    async restart(restartOptions = {}): Promise<void> {
      ensureRunning();
      const downMs = restartOptions.downMs ?? 1000;
      if (!Number.isFinite(downMs) || downMs < 0) {
        throw new RocketMQPeerError('INVALID_ARGUMENT', `downMs must be >= 0, got ${downMs}`);
      }
      const next = restarting.then(() => restartOnce(downMs));
      restarting = next.catch(() => {});
      await next;
    },

    dropConnections(): void {
      ensureRunning();
      listener.dropConnections();
    },

    duplicateDeliveries: (rate) => faults.setDuplicateRate(rate),
    loseAcks: (rate, options = {}) => faults.setLostAcks(rate, options.effect ?? 'random'),
    delay: (ms) => faults.setDelay(ms),

    stats: () => model.counters.snapshot(),
    pending: (group, topic) => model.pending(group, topic),
    deadLetters: (group) => model.deadLetters(group),
    messages: (topic) => model.messages(topic).map(toPeerMessage),

    waitUntil(predicate: () => boolean, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
      return waitUntil(predicate, {
        timeoutMs,
        onChange: (listener) => model.onChange(listener),
        stopped: stopController.signal,
        describe: () => 'the predicate',
      });
    },

    idle(group: string, idleOptions: RocketMQPeerIdleOptions = {}): Promise<void> {
      const topics = (): string[] =>
        idleOptions.topic === undefined ? model.topicsOf(group) : [idleOptions.topic];
      return waitUntil(
        () => {
          const current = topics();
          return current.length > 0 && current.every((topic) => model.pending(group, topic) === 0);
        },
        {
          timeoutMs: idleOptions.timeoutMs ?? DEFAULT_WAIT_MS,
          onChange: (listener) => model.onChange(listener),
          stopped: stopController.signal,
          describe: () =>
            `group ${group} to be idle (${pendingIn(group, topics())}; stats ${JSON.stringify(model.counters.snapshot().groups[group] ?? {})})`,
        },
      );
    },

    async stop(): Promise<void> {
      if (stopController.signal.aborted) return;
      stopController.abort();
      // A restart under way ends first, so that it cannot listen again after the close below.
      await restarting;
      await generation.stopGracefully();
      await listener.close();
    },
  };
  return peer;
}

/** The route address of `advertisedEndpoints`, or undefined when the peer advertises itself. */
function advertised(endpoints: string | undefined): ReturnType<typeof wireEndpoints> | undefined {
  if (endpoints === undefined) return undefined;
  const colon = endpoints.lastIndexOf(':');
  const port = Number(endpoints.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 1) {
    throw new RocketMQPeerError(
      'INVALID_ARGUMENT',
      `advertisedEndpoints must be "host:port", got ${JSON.stringify(endpoints)}`,
    );
  }
  return wireEndpoints(endpoints.slice(0, colon), port);
}
