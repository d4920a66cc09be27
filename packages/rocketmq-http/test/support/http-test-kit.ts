import type { Socket } from 'node:net';
import type { MqHttpPeer, MqHttpPeerOptions } from '@idem/testing';
import { startMqHttpPeer } from '@idem/testing';
import {
  createEffectsDatabase,
  type EffectsDatabase,
  type EffectTables,
} from '../../../../test-support/effects/effects-database.js';
import { createHttpConsumer, type HttpConsumer, type HttpConsumerOptions } from '../../src/index.js';

/** A peer, a private schema and the consumers of one test; `cleanUp()` stops them all. */
export interface HttpTestKit {
  startPeer(options?: MqHttpPeerOptions): Promise<MqHttpPeer>;
  database(): Promise<EffectsDatabase>;
  /** Creates a consumer on `peer` and `database` with the test defaults (2 s long poll). */
  consumer(
    peer: MqHttpPeer,
    database: EffectsDatabase,
    options: Partial<HttpConsumerOptions<EffectTables>> & Pick<HttpConsumerOptions<EffectTables>, 'handlers'>,
  ): HttpConsumer;
  cleanUp(): Promise<void>;
}

/** Builds a {@link HttpTestKit}; call `cleanUp()` in `afterEach`. */
export function httpTestKit(): HttpTestKit {
  const consumers: HttpConsumer[] = [];
  const peers: MqHttpPeer[] = [];
  const databases: EffectsDatabase[] = [];
  return {
    async startPeer(options = {}) {
      const peer = await startMqHttpPeer(options);
      peers.push(peer);
      return peer;
    },
    async database() {
      const database = await createEffectsDatabase();
      databases.push(database);
      return database;
    },
    consumer(peer, database, options) {
      const consumer = createHttpConsumer<EffectTables>({
        endpoint: peer.endpoint,
        accessKeyId: peer.accessKeyId,
        accessKeySecret: peer.accessKeySecret,
        consumerGroup: 'GID_billing',
        db: database.db,
        schema: database.schema,
        longPollingTimeoutMs: 2000,
        ...options,
      });
      consumers.push(consumer);
      return consumer;
    },
    async cleanUp() {
      await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
      await Promise.all(peers.splice(0).map((peer) => peer.stop()));
      await Promise.all(databases.splice(0).map((database) => database.drop()));
    },
  };
}

/** Publishes `count` messages to `orders` with keys `${prefix}-0`, `${prefix}-1`, ... */
export function publishOrders(peer: MqHttpPeer, count: number, prefix = 'order', from = 0): void {
  for (let index = from; index < from + count; index += 1) {
    peer.publish({ topic: 'orders', body: `order ${index}`, keys: `${prefix}-${index}` });
  }
}

/** Open client sockets of this process connected to `port`. */
export function socketsTo(port: number): Socket[] {
  // Node's own list of live handles: the only way to see the SDK's sockets from outside.
  const handles = (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles();
  return handles.filter(
    (handle): handle is Socket =>
      typeof handle === 'object' &&
      handle !== null &&
      'remotePort' in handle &&
      (handle as Socket).remotePort === port &&
      !(handle as Socket).destroyed,
  );
}

/** A seeded uniform random source (mulberry32), so fault rates replay the same way. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
