import type { LostAckEffect } from '../lost-ack-effect.js';

/** Options of {@link startRocketMQPeer}; every field is optional. */
export interface RocketMQPeerOptions {
  /** Port to listen on; a free one by default. It stays the same across `restart()`. */
  readonly port?: number;
  /**
   * Address to listen on and to advertise in routes; `127.0.0.1` by default. Use an IPv4 address
   * or a host name: the client cannot parse an IPv6 `endpoints` string.
   */
  readonly host?: string;
  /**
   * Long-polling timeout handed to clients in the Settings handshake (the PushConsumer uses only
   * this one); 2000 ms by default so that `PushConsumer.shutdown()` stays near 3 s. SimpleConsumer
   * polls use the client's `awaitDuration`, clamped to 20 s as the Apache proxy does.
   */
  readonly longPollingTimeoutMs?: number;
  /** Messages a PushConsumer asks for per receive (Settings `receive_batch_size`); 32 by default. */
  readonly receiveBatchSize?: number;
  /**
   * Deliveries a message gets before the peer moves it to `%DLQ%<group>` instead of delivering it
   * again; 17 by default (the proxy's retryMaxTimes 16 + 1). Also sent to consumers as
   * `backoff_policy.max_attempts`, which the FIFO PushConsumer uses for its local retries.
   */
  readonly maxDeliveryAttempts?: number;
  /**
   * Invisible time of a PushConsumer delivery (`auto_renew`): the lease is renewed while the
   * client's Telemetry stream is open, and once it is gone (crash, dropped connection, restart)
   * the message becomes visible this long after the last renewal. 10 000 ms by default; the
   * Apache proxy uses 60 s.
   */
  readonly pushInvisibleDurationMs?: number;
  /**
   * Smallest `invisible_duration` a SimpleConsumer may ask for; shorter ones are rejected with
   * ILLEGAL_INVISIBLE_TIME (40011). 10 000 ms by default, as the Apache proxy; lower it for fast
   * redelivery tests.
   */
  readonly minInvisibleDurationMs?: number;
  /**
   * Consumer groups configured as FIFO: their Settings say `fifo`, and each message group has at
   * most one message in flight, the next one delivered only after it is acked or dead-lettered.
   */
  readonly fifoGroups?: readonly string[];
  /**
   * Exponential backoff sent to consumers in `backoff_policy`. The 1.0.8 client reads whole
   * seconds only (`getNextAttemptDelay()` drops the nanos) and `ProcessQueue` then uses them as
   * milliseconds, so a 1 s policy nacks with a 1 ms delay. By default initial 1 s,
   * max 10 s, multiplier 2.
   */
  readonly backoff?: RocketMQPeerBackoff;
  /**
   * When set, only these topics exist: QueryRoute and SendMessage answer TOPIC_NOT_FOUND (40402)
   * for any other, as a proxy does for a topic nobody created. By default every topic exists as
   * soon as someone names it.
   */
  readonly topics?: readonly string[];
  /** Source of randomness for the fault rates, `Math.random` by default; inject one for replayable tests. */
  readonly random?: () => number;
  /**
   * `host:port` that routes and assignments name as the broker, instead of the peer's own
   * address: clients send everything but QueryRoute there. Point it at a proxy in front of the
   * peer (`startBlackholeProxy`) so that all of a client's traffic crosses the proxy.
   */
  readonly advertisedEndpoints?: string;
}

/** Exponential backoff policy sent to consumers in the Settings handshake. */
export interface RocketMQPeerBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly multiplier: number;
}

/** A message to put straight into the peer with {@link RocketMQPeer.publish}. */
export interface RocketMQPeerPublishInput {
  readonly topic: string;
  /** Stored as bytes; a string is encoded as UTF-8. */
  readonly body: Buffer | string;
  readonly tag?: string;
  readonly keys?: readonly string[];
  /** User properties. */
  readonly properties?: Readonly<Record<string, string>>;
  /** FIFO message group; makes the message a FIFO message. */
  readonly messageGroup?: string;
  /** Message id to keep (a producer's retry keeps its id); a new 34-hex-digit id by default. */
  readonly messageId?: string;
  /** Delivery time of a delay message; it stays invisible until then. */
  readonly deliverAt?: Date;
}

/** A message as the peer stored it. */
export interface RocketMQPeerMessage {
  readonly messageId: string;
  readonly topic: string;
  /** Position in the topic's single queue (queue id 0). */
  readonly offset: number;
  readonly body: Buffer;
  readonly tag: string | undefined;
  readonly keys: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
  readonly messageGroup: string | undefined;
  readonly bornAt: Date;
  readonly storedAt: Date;
  readonly deliverAt: Date | undefined;
}

/** Why a message was dead-lettered. */
export type RocketMQPeerDeadLetterReason = 'max-delivery-attempts' | 'forwarded-by-client';

/** A message the peer moved to a group's dead-letter topic `%DLQ%<group>`. */
export interface RocketMQPeerDeadLetter extends RocketMQPeerMessage {
  /** The topic the message was consumed from (`topic` is `%DLQ%<group>`). */
  readonly originalTopic: string;
  readonly consumerGroup: string;
  /** Deliveries the message had in that group before it was dead-lettered. */
  readonly deliveryAttempts: number;
  readonly reason: RocketMQPeerDeadLetterReason;
  readonly deadLetteredAt: Date;
}

/** Counters of one consumer group, summed over its topics. */
export interface RocketMQPeerGroupStats {
  /** Messages handed to clients, first deliveries and redeliveries alike. */
  readonly deliveries: number;
  /** Deliveries with `delivery_attempt` above 1 (expired invisibility, nacks, injected duplicates). */
  readonly redeliveries: number;
  /** Acks applied. */
  readonly acks: number;
  /** Acks, invisibility changes and DLQ forwards refused with INVALID_RECEIPT_HANDLE (40013). */
  readonly invalidHandles: number;
  /** Acks answered with UNAVAILABLE by `loseAcks` (applied or not). */
  readonly lostAcks: number;
  /** Duplicate deliveries scheduled by `duplicateDeliveries`. */
  readonly duplicatesInjected: number;
  /** Messages moved to `%DLQ%<group>`. */
  readonly deadLettered: number;
  /** ChangeInvisibleDuration calls applied (nacks of the PushConsumer, explicit calls of the SimpleConsumer). */
  readonly invisibilityChanges: number;
}

/** A snapshot of the peer's counters, totals first. */
export interface RocketMQPeerStats extends RocketMQPeerGroupStats {
  /** Messages stored, through `publish()` and SendMessage (not counting dead-letter copies). */
  readonly published: number;
  /** Times `restart()` took the port down. */
  readonly restarts: number;
  /** ReceiveMessage long polls held open right now, waiting for a message (a gauge, not a count). */
  readonly openLongPolls: number;
  /** Per consumer group. */
  readonly groups: Readonly<Record<string, RocketMQPeerGroupStats>>;
  /** Messages stored per topic. */
  readonly topics: Readonly<Record<string, { readonly published: number }>>;
}

/** Options of {@link RocketMQPeer.idle}. */
/** Options of {@link RocketMQPeer.loseAcks}. */
export interface RocketMQPeerLoseAcksOptions {
  /** Whether a lost ack still acks its entries; `random` (either, half the time) by default. */
  readonly effect?: LostAckEffect;
}

export interface RocketMQPeerIdleOptions {
  /** Only this topic; by default every topic the group subscribed to. */
  readonly topic?: string;
  /** 15 000 ms by default. */
  readonly timeoutMs?: number;
}

/**
 * A running RocketMQ 5 gRPC peer (`apache.rocketmq.v2.MessagingService`) that the real
 * `rocketmq-client-nodejs` Producer, SimpleConsumer and PushConsumer use unchanged.
 *
 * Every consumer group gets every message of a topic once, from the topic's first message on,
 * independently of the other groups.
 */
export interface RocketMQPeer {
  /** `host:port`, the string the clients take as `endpoints`. */
  readonly endpoints: string;
  readonly host: string;
  readonly port: number;

  /**
   * Stores a message as a producer's SendMessage would, so tests need no Producer, and returns
   * its message id. Waiting consumers get it at once.
   */
  publish(message: RocketMQPeerPublishInput): string;

  /**
   * A broker upgrade: the listener and every connection are closed at once (clients see
   * UNAVAILABLE and ECONNREFUSED), and after `downMs` the peer listens again on the same port
   * with the same messages and group progress. Client sessions (Settings, PushConsumer leases) are
   * lost as on a real restart: clients must send their Settings again before they can receive,
   * and unacked deliveries become visible again once their invisible time has passed.
   */
  restart(options?: { readonly downMs?: number }): Promise<void>;
  /**
   * Cuts every open client connection (TCP reset of each socket) without closing the listener;
   * the clients reconnect by themselves. Settings survive; PushConsumer leases whose Telemetry
   * stream went away run out after `pushInvisibleDurationMs`.
   */
  dropConnections(): void;
  /**
   * From now on, each delivery is, with probability `rate`, followed by a duplicate delivery of
   * the same message (same message id, a new receipt handle, `delivery_attempt + 1`) that must be
   * acked on its own, even when the first one is acked: what a broker upgrade does. The duplicate
   * is visible at once, so it may reach a consumer while the first delivery is still being
   * handled; duplicates do not spawn duplicates themselves. 0 switches it off.
   */
  duplicateDeliveries(rate: number): void;
  /**
   * From now on, each AckMessage call is, with probability `rate`, applied or not (per
   * `options.effect`: half and half by default) and answered with gRPC UNAVAILABLE, what a client
   * sees when the broker crashes mid-call (the connection resets; a hang until the deadline would
   * be a network partition instead). Only that call fails; other calls on the connection go on.
   * 0 switches it off. Counted in `stats().lostAcks`.
   */
  loseAcks(rate: number, options?: RocketMQPeerLoseAcksOptions): void;
  /**
   * From now on, every response (unary answers, receive frames, Telemetry replies) is sent `ms`
   * later; the work is done at once, so an answer that misses the client's deadline was still
   * applied. 0 switches it off.
   */
  delay(ms: number): void;

  /** A snapshot of the counters, in total and per consumer group. */
  stats(): RocketMQPeerStats;
  /** Messages of `topic` that `group` has not yet acked, dead-lettered or filtered out by its tag expression. */
  pending(group: string, topic: string): number;
  /** Messages the peer moved to the dead-letter topic `%DLQ%<group>`, oldest first. */
  deadLetters(group: string): RocketMQPeerDeadLetter[];
  /** Every stored message of `topic` (also `%DLQ%<group>` topics), oldest first. */
  messages(topic: string): RocketMQPeerMessage[];
  /**
   * Resolves once `predicate()` returns true (checked on every state change and every 20 ms);
   * rejects with `WAIT_TIMEOUT` after `timeoutMs` (15 000 by default) or `PEER_STOPPED`.
   */
  waitUntil(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /**
   * Resolves once every message of the group's topics is acked or dead-lettered (injected
   * duplicates included); a group that has not subscribed to anything yet is not idle.
   */
  idle(group: string, options?: RocketMQPeerIdleOptions): Promise<void>;

  /** Closes the listener, every connection and every timer; the process can exit afterwards. */
  stop(): Promise<void>;
}
