import { RocketMQPeerError } from './rocketmq-peer-error.js';
import type { RocketMQPeerBackoff, RocketMQPeerOptions } from './rocketmq-peer-types.js';

/** The options with their defaults applied and checked, plus the proxy limits the peer copies. */
export interface PeerConfig {
  readonly host: string;
  readonly longPollingTimeoutMs: number;
  readonly receiveBatchSize: number;
  readonly maxDeliveryAttempts: number;
  readonly pushInvisibleDurationMs: number;
  readonly minInvisibleDurationMs: number;
  readonly fifoGroups: ReadonlySet<string>;
  /** The only topics that exist, when set (see `RocketMQPeerOptions.topics`). */
  readonly topics: ReadonlySet<string> | undefined;
  readonly backoff: RocketMQPeerBackoff;
  readonly random: () => number;
  /** The proxy clamps long polls to at most 20 s. */
  readonly maxLongPollingMs: number;
  /** The proxy refuses invisible durations above 12 h. */
  readonly maxInvisibleDurationMs: number;
  /** `publishing.max_body_size`; a 0 would make every send of the 1.0.8 producer fail. */
  readonly maxBodySize: number;
  /** How soon the leases of a client that said goodbye run out (proxy `invisibleTimeMillisWhenClear`). */
  readonly leaseClearDelayMs: number;
}

/** Applies the defaults and refuses values the clients or the model cannot work with. */
export function resolvePeerConfig(options: RocketMQPeerOptions): PeerConfig {
  const backoff = options.backoff ?? { initialMs: 1000, maxMs: 10_000, multiplier: 2 };
  const config: PeerConfig = {
    host: options.host ?? '127.0.0.1',
    longPollingTimeoutMs: options.longPollingTimeoutMs ?? 2000,
    receiveBatchSize: options.receiveBatchSize ?? 32,
    maxDeliveryAttempts: options.maxDeliveryAttempts ?? 17,
    pushInvisibleDurationMs: options.pushInvisibleDurationMs ?? 10_000,
    minInvisibleDurationMs: options.minInvisibleDurationMs ?? 10_000,
    fifoGroups: new Set(options.fifoGroups ?? []),
    topics: options.topics === undefined ? undefined : new Set(options.topics),
    backoff,
    random: options.random ?? Math.random,
    maxLongPollingMs: 20_000,
    maxInvisibleDurationMs: 12 * 3600_000,
    maxBodySize: 4 * 1024 * 1024,
    leaseClearDelayMs: 1000,
  };
  atLeast('longPollingTimeoutMs', config.longPollingTimeoutMs, 0);
  atLeast('receiveBatchSize', config.receiveBatchSize, 1);
  atLeast('maxDeliveryAttempts', config.maxDeliveryAttempts, 1);
  atLeast('pushInvisibleDurationMs', config.pushInvisibleDurationMs, 1);
  atLeast('minInvisibleDurationMs', config.minInvisibleDurationMs, 0);
  atLeast('backoff.initialMs', backoff.initialMs, 0);
  atLeast('backoff.maxMs', backoff.maxMs, backoff.initialMs);
  atLeast('backoff.multiplier', backoff.multiplier, 1);
  if (options.port !== undefined) atLeast('port', options.port, 1);
  return config;
}

function atLeast(name: string, value: number, minimum: number): void {
  if (!Number.isFinite(value) || value < minimum) {
    throw new RocketMQPeerError('INVALID_ARGUMENT', `${name} must be a number >= ${minimum}, got ${value}`);
  }
}
