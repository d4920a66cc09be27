import type {
  ConsumerEvent,
  ConsumerProducerOptions,
  DatabaseUnavailableAtStart,
  DispatchMode,
  ProcessorOptions,
} from '@idem/core';

/** Access-key credentials, as ApsaraMQ for RocketMQ 5 instances require. */
export interface TcpCredentials {
  readonly accessKey: string;
  readonly accessSecret: string;
  readonly securityToken?: string;
}

/** Options of {@link createTcpConsumer}. */
export interface TcpConsumerOptions<DB = unknown> extends ProcessorOptions<DB>, ConsumerProducerOptions {
  /** The proxy's gRPC endpoint, `host:port` (one address). */
  readonly endpoints: string;
  /** The consumer group: the broker's subscription group and Idem's idempotency scope. */
  readonly consumerGroup: string;
  /** RocketMQ namespace (instance id on ApsaraMQ). Default none. */
  readonly namespace?: string;
  readonly credentials?: TcpCredentials;
  /** TLS to the proxy. Default false. */
  readonly tls?: boolean;
  /** Deliveries in flight at most. Default 16. */
  readonly concurrency?: number;
  /** Messages per receive (and per transaction in batch mode). Default min(concurrency, 16). */
  readonly batchSize?: number;
  /** `single` (default) or `batch`: one transaction per received batch, a savepoint per message. */
  readonly mode?: DispatchMode;
  /**
   * How long a received message stays invisible to other consumers; extended while its handler
   * runs. Default 30 s. The Apache proxy rejects less than 10 s.
   */
  readonly invisibleDurationMs?: number;
  /** Long-poll duration of one receive. Default 10 s (the proxy clamps it to 5–20 s). */
  readonly longPollingTimeoutMs?: number;
  /** Deadline of one unary call to the proxy. Default 3 s. */
  readonly requestTimeoutMs?: number;
  /** `start()` gives up after this long (the client can wait forever for settings). Default 15 s. */
  readonly startupTimeoutMs?: number;
  /** `stop()` waits this long for in-flight messages. Default 30 s. */
  readonly shutdownTimeoutMs?: number;
  /** Redelivery delay after a handler failure, by attempt. Default 1 s doubling to 60 s. */
  readonly retryDelayMs?: (attempt: number) => number;
  /**
   * What `start()` does when Postgres does not answer: `wait` (default) until it does, logging
   * one line when the wait begins and one when it ends, or `fail` at once with
   * `DATABASE_UNAVAILABLE`. Waiting suits orchestrated deployments, where the database and the
   * service restart independently: a failed start crash-loops with growing restart delays, a
   * waiting consumer consumes the moment Postgres is back. Nothing is received while it waits.
   */
  readonly onDatabaseUnavailableAtStart?: DatabaseUnavailableAtStart;
  /** Called for each consumer event (received, settled, ack-failed). */
  readonly onEvent?: (event: ConsumerEvent) => void;
}
