import type { LostAckEffect } from '../lost-ack-effect.js';
import type { MqHttpOutage, MqHttpOutageOptions } from './outage-controller.js';
import type { MqHttpPeerStats } from './peer-stats.js';

/** Options of `startMqHttpPeer()`. */
export interface MqHttpPeerOptions {
  /** Loopback port to listen on; a free one by default. */
  readonly port?: number;
  /** The only access key the peer accepts; {@link DEFAULT_MQ_HTTP_ACCESS_KEY_ID} by default. */
  readonly accessKeyId?: string;
  /** Its secret; {@link DEFAULT_MQ_HTTP_ACCESS_KEY_SECRET} by default. */
  readonly accessKeySecret?: string;
  /**
   * How long a delivered message stays invisible (and its receipt handle valid) before it is
   * delivered again with ConsumedTimes + 1. Default 3000 ms: short enough for redelivery tests
   * to take seconds, long enough for a healthy consumer on a loaded CI machine to ack first.
   * The real service uses 5 minutes.
   */
  readonly invisibleTimeMs?: number;
  /** The same for ordered consumption (`trans=order`); `invisibleTimeMs` by default (real: 1 min). */
  readonly orderedInvisibleTimeMs?: number;
  /** When set, only these topics exist (in every instance); others answer 404 TopicNotExist. */
  readonly topics?: readonly string[];
  /** Uniform in [0, 1), for the fault rates; `Math.random` by default. Pass a seeded one to replay. */
  readonly random?: () => number;
}

/** A message put straight into the peer by {@link MqHttpPeer.publish}. */
export interface MqHttpPeerMessage {
  readonly topic: string;
  readonly body: string;
  /** The instance id (`ns`) the consumers use; none by default. */
  readonly instanceId?: string;
  readonly tag?: string;
  /** Message keys (the KEYS property; several are joined with spaces, as RocketMQ does). */
  readonly keys?: string | readonly string[];
  /** User properties; keys and values may not contain `|` or `:`, which the wire form uses. */
  readonly properties?: Readonly<Record<string, string>>;
  /** Ordered partition (`__SHARDINGKEY`). */
  readonly shardingKey?: string;
  /** Absolute ms before which the message is not delivered (`__STARTDELIVERTIME`). */
  readonly startDeliverTime?: number;
}

/** A message as the peer stored it (see {@link MqHttpPeer.messages}). */
export interface MqHttpStoredMessage {
  readonly messageId: string;
  readonly body: string;
  readonly tag: string | undefined;
  /** Every property as sent, `KEYS`, `__SHARDINGKEY` and `__STARTDELIVERTIME` included. */
  readonly properties: Readonly<Record<string, string>>;
}

/** Options of {@link MqHttpPeer.idle} and {@link MqHttpPeer.waitUntil}. */
export interface MqHttpWaitOptions {
  /** Gives up with `WAIT_TIMEOUT` after this long; 10 000 ms by default. */
  readonly timeoutMs?: number;
}

/** Options of {@link MqHttpPeer.idle}. */
export interface MqHttpIdleOptions extends MqHttpWaitOptions {
  /** Only this instance (`ns`); every instance by default. */
  readonly instanceId?: string;
}

/** Options of {@link MqHttpPeer.loseAcks}. */
export interface MqHttpLoseAcksOptions {
  /** Whether a lost ack still acks its handles; `random` (either, half the time) by default. */
  readonly effect?: LostAckEffect;
}

/**
 * A running ApsaraMQ for RocketMQ HTTP API peer that the real `@aliyunmq/mq-http-sdk` talks to
 * unchanged, with fault injection for testing consumers.
 *
 * @example
 * ```ts
 * const peer = await startMqHttpPeer();
 * const client = new MQClient(peer.endpoint, peer.accessKeyId, peer.accessKeySecret);
 * peer.publish({ topic: 'orders', body: '{"id":1}', tag: 'created', keys: 'order-1' });
 * const outage = peer.outage({ ms: 2000, mode: 'reset' });
 * // ... your consumer sees ECONNRESET for two seconds and must recover
 * await outage.ended;
 * await peer.idle('GID_orders', 'orders');
 * await peer.stop();
 * ```
 */
export interface MqHttpPeer {
  /** `http://127.0.0.1:PORT`, no trailing slash: what `new MQClient(endpoint, ...)` takes. */
  readonly endpoint: string;
  readonly port: number;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  /** True from `outage()` until that outage has ended. */
  readonly outageActive: boolean;
  /**
   * Stores a message as if the SDK had published it, and returns its MessageId. Long polls
   * waiting for it are answered at once.
   */
  publish(message: MqHttpPeerMessage): string;
  /**
   * Starts an outage now, for `ms` milliseconds, then serves again on the same port:
   * - `refuse`: the port is closed and open connections dropped: connects get ECONNREFUSED;
   * - `reset`: connections are accepted and reset, open ones too: requests get ECONNRESET;
   * - `503`: every request, and every long poll in progress, is answered 503 (see
   *   {@link MqHttpOutageOptions.body} for what the SDK makes of it);
   * - `hang`: requests are accepted and never answered (the SDK times out: 3 s for publish and
   *   ack, 33 s for consume); their connections are dropped when the outage ends.
   *
   * The broker state survives. One outage at a time (`OUTAGE_IN_PROGRESS` otherwise).
   * Await `started` before asserting on the next request, and `ended` for the recovery.
   */
  outage(options: MqHttpOutageOptions): MqHttpOutage;
  /**
   * From now on, each first delivery of a message is followed, with chance `rate`, by a
   * duplicate: a second copy for the same group with the same MessageId, body and keys, which
   * needs its own ack. 0 switches it off. Counted in `stats().duplicates`.
   */
  duplicateDeliveries(rate: number): void;
  /**
   * From now on, each ack request is, with chance `rate`, answered with a connection reset
   * (ECONNRESET) instead of its answer, its handles acked or not per `options.effect`. 0
   * switches it off. Counted in `stats().lostAcks` and `stats().lostAcksApplied`.
   */
  loseAcks(rate: number, options?: MqHttpLoseAcksOptions): void;
  /** From now on, delays every protocol answer by `ms` (long polls: after the wait). 0 switches it off. */
  slow(ms: number): void;
  /** A snapshot of the counters. */
  stats(): MqHttpPeerStats;
  /**
   * Every message stored on `topic` (of `instanceId`, none by default), oldest first, as it was
   * stored: what a producer test compares with what it was told was sent.
   */
  messages(topic: string, instanceId?: string): MqHttpStoredMessage[];
  /**
   * Unacked messages of `group` on `topic`: not yet delivered, delayed, or delivered and
   * waiting for their ack. Every message published to a topic counts for every group, from
   * the first message on, whether or not the group has polled yet.
   */
  pending(group: string, topic: string, instanceId?: string): number;
  /**
   * Resolves once `group` has nothing pending on `topic` (every topic when omitted): all
   * messages acked. Rejects with `WAIT_TIMEOUT` (or `STOPPED`).
   */
  idle(group: string, topic?: string, options?: MqHttpIdleOptions): Promise<void>;
  /**
   * Resolves once `condition()` is true; it is checked at once, after every publish and ack,
   * and every 20 ms. Rejects with `WAIT_TIMEOUT` (or `STOPPED`), or with what `condition` throws.
   */
  waitUntil(condition: () => boolean, options?: MqHttpWaitOptions): Promise<void>;
  /** Ends any outage, closes the port and every connection; the process can then exit. */
  stop(): Promise<void>;
}

/** Access key id the peer accepts unless told otherwise. */
export const DEFAULT_MQ_HTTP_ACCESS_KEY_ID = 'idem-test-access-key-id';
/** Its secret. */
export const DEFAULT_MQ_HTTP_ACCESS_KEY_SECRET = 'idem-test-access-key-secret';
