import type {
  ConsumerEvent,
  ConsumerProducerOptions,
  DatabaseUnavailableAtStart,
  DispatchMode,
  ProcessorOptions,
} from '@idem/core';

/** Options of {@link createHttpConsumer}. */
export interface HttpConsumerOptions<DB = unknown> extends ProcessorOptions<DB>, ConsumerProducerOptions {
  /**
   * The instance's HTTP endpoint, `http(s)://host[:port]` without a path, e.g.
   * `http://1234567890.mqrest.cn-hangzhou.aliyuncs.com`. A trailing `/` is removed.
   */
  readonly endpoint: string;
  /** AccessKey id of an account or RAM user allowed to consume the topics. */
  readonly accessKeyId: string;
  /** Its secret; it signs every request and never appears in a log line or error message. */
  readonly accessKeySecret: string;
  /** STS security token, when the key is a temporary one. */
  readonly securityToken?: string;
  /** The instance id (`MQ_INST_...`) for endpoints that serve several instances. Default none. */
  readonly instanceId?: string;
  /** The group id (`GID_...`): the service's consumer group and Idem's idempotency scope. */
  readonly consumerGroup: string;
  /**
   * Consume with the ordered API (`trans=order`): messages of one sharding key arrive, and are
   * handled, one after another in publish order. Default false.
   */
  readonly ordered?: boolean;
  /** Deliveries in flight at most. Default 16. */
  readonly concurrency?: number;
  /** Messages asked for per consume, 1 to 16 (the service's limit). Default min(concurrency, 16). */
  readonly batchSize?: number;
  /** `single` (default): a transaction per message; `batch`: a transaction per received batch. */
  readonly mode?: DispatchMode;
  /**
   * How long one consume waits for messages (long poll), 1 to 30 s. Default 10: `stop()` does
   * not wait for it, and a connection that died silently is noticed within this plus 5 s.
   */
  readonly waitSeconds?: number;
  /** How long `stop()` waits for in-flight messages. Default 30 s. */
  readonly shutdownTimeoutMs?: number;
  /**
   * What `start()` does when Postgres does not answer: `wait` (default) until it does, logging
   * one line when the wait begins and one when it ends, or `fail` at once with
   * `DATABASE_UNAVAILABLE`. Waiting suits orchestrated deployments, where the database and the
   * service restart independently: a failed start crash-loops with growing restart delays, a
   * waiting consumer consumes the moment Postgres is back. Nothing is received while it waits.
   */
  readonly onDatabaseUnavailableAtStart?: DatabaseUnavailableAtStart;
  /** Called for each consumer event (received, settled, ack-failed); must not throw. */
  readonly onEvent?: (event: ConsumerEvent) => void;
}
