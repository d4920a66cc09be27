/**
 * The broker side of the bench in a process of its own: the RocketMQ peer (or a real RocketMQ
 * broker and a producer) runs here, so the consumer measured in the bench's process has its
 * event loop and its core to itself, as it would in production. Driven over the IPC channel
 * (`broker-process-protocol.ts`); started by `startBenchBroker`.
 */
import { createTcpProducer } from '@idem/rocketmq-tcp';
import {
  type RocketMQBroker,
  type RocketMQPeer,
  startRocketMQBroker,
  startRocketMQPeer,
} from '@idem/testing';
import { benchOrder } from './bench-database.js';
import type { BenchBrokerKind, BrokerReady, BrokerReply, BrokerRequest } from './broker-process-protocol.js';
import { BENCH_TAG } from './effect-handlers.js';

// Sends in flight to the real broker while publishing a row: enough to keep ahead of any consumer.
const SENDS_IN_FLIGHT = 64;

interface Backend {
  readonly endpoints: string;
  prepare(topic: string, group: string): Promise<void>;
  publish(topic: string, prefix: string, count: number): Promise<void>;
  idle(group: string, timeoutMs: number): Promise<void>;
  count(topic: string): number;
  stop(): Promise<void>;
}

function peerBackend(peer: RocketMQPeer): Backend {
  return {
    endpoints: peer.endpoints,
    prepare: async () => {},
    publish: async (topic, prefix, count) => {
      for (let index = 0; index < count; index++) {
        const order = benchOrder(prefix, index);
        peer.publish({ topic, tag: BENCH_TAG, keys: [order.id], body: JSON.stringify(order) });
      }
    },
    idle: (group, timeoutMs) => peer.idle(group, { timeoutMs }),
    count: (topic) => peer.stats().topics[topic]?.published ?? 0,
    stop: () => peer.stop(),
  };
}

async function realBrokerBackend(broker: RocketMQBroker): Promise<Backend> {
  const producer = createTcpProducer({ endpoint: broker.endpoints });
  await producer.start();
  return {
    endpoints: broker.endpoints,
    prepare: async (topic, group) => {
      await broker.createTopic(topic);
      await broker.createGroup(group);
    },
    publish: async (topic, prefix, count) => {
      for (let first = 0; first < count; first += SENDS_IN_FLIGHT) {
        const messages = Array.from({ length: Math.min(SENDS_IN_FLIGHT, count - first) }, (_, offset) => {
          const order = benchOrder(prefix, first + offset);
          return {
            id: order.id,
            topic,
            tag: BENCH_TAG,
            keys: [order.id],
            body: Buffer.from(JSON.stringify(order)),
            properties: {},
            messageGroup: undefined,
            deliverAt: undefined,
          };
        });
        const failed = (await producer.send(messages)).find((outcome) => outcome.status === 'failed');
        if (failed !== undefined) throw new Error(`publishing to ${topic} failed: ${JSON.stringify(failed)}`);
      }
    },
    idle: () => Promise.reject(new Error('the real broker cannot tell when a group is idle')),
    count: () => {
      throw new Error('the real broker does not count messages for the bench');
    },
    stop: async () => {
      await producer.stop();
      await broker.stop();
    },
  };
}

async function startBackend(kind: BenchBrokerKind): Promise<Backend> {
  if (kind === 'peer') return peerBackend(await startRocketMQPeer());
  return await realBrokerBackend(await startRocketMQBroker({ brokerHeapMb: 1024 }));
}

const send = (message: BrokerReady | BrokerReply): void => {
  process.send?.(message);
};

const kind = process.argv[2] === 'real-broker' ? 'real-broker' : 'peer';
let backend: Backend;
try {
  backend = await startBackend(kind);
} catch (error) {
  const code =
    typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
  send({ ready: false, error: error instanceof Error ? error.message : String(error), code });
  process.disconnect?.();
  process.exit(1);
}
const running = backend;
let stopped: Promise<void> | undefined;
const stopOnce = (): Promise<void> => {
  stopped ??= running.stop();
  return stopped;
};

process.on('message', (request: BrokerRequest) => {
  void answer(request).then(send, (error: unknown) =>
    send({ id: request.id, ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
// The bench went away without `stop` (killed, crashed): do not leave a broker behind.
process.on('disconnect', () => {
  void stopOnce().finally(() => process.exit(0));
});
send({ ready: true, endpoints: running.endpoints });

async function answer(request: BrokerRequest): Promise<BrokerReply> {
  switch (request.op) {
    case 'prepare':
      await running.prepare(request.topic, request.group);
      return { id: request.id, ok: true };
    case 'publish':
      await running.publish(request.topic, request.prefix, request.count);
      return { id: request.id, ok: true };
    case 'idle':
      await running.idle(request.group, request.timeoutMs);
      return { id: request.id, ok: true };
    case 'count':
      return { id: request.id, ok: true, value: running.count(request.topic) };
    case 'stop':
      await stopOnce();
      return { id: request.id, ok: true };
  }
}
