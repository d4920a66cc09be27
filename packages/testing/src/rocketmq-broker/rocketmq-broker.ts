import type { RocketMQGroupSpec, RocketMQTopicSpec } from './rocketmq-admin.js';

/** Options of `startRocketMQBroker`. */
export interface RocketMQBrokerOptions {
  /** Topics to create before the broker is handed over (with 1 queue each unless said otherwise). */
  readonly topics?: readonly RocketMQTopicSpec[];
  /** Consumer groups to create before the broker is handed over. */
  readonly groups?: readonly RocketMQGroupSpec[];
  /** RocketMQ release from Maven Central; `DEFAULT_ROCKETMQ_VERSION` by default. */
  readonly version?: string;
  /** Jar cache directory; `$IDEM_ROCKETMQ_HOME`, else `~/.cache/idem/rocketmq-<version>`. */
  readonly home?: string;
  /** `java` command or path; `$JAVA_HOME/bin/java`, else `java` on the PATH. */
  readonly java?: string;
  /** Cluster the broker joins and topics are created in; `DefaultCluster` by default. */
  readonly clusterName?: string;
  /** Let clients create topics and groups on first use; off by default, as in production. */
  readonly autoCreate?: boolean;
  /**
   * Longest long poll the proxy grants a consumer, in ms; 3000 by default (RocketMQ: 20 000).
   * A PushConsumer's shutdown waits for its open long poll, so this bounds test teardown.
   */
  readonly maxLongPollingMs?: number;
  /** Broker heap (`-Xmx`) in MiB; 384 by default. */
  readonly brokerHeapMb?: number;
  /** Limit for each start (name server, broker) to become ready; 120 000 ms by default. */
  readonly startTimeoutMs?: number;
}

/** Options of {@link RocketMQBroker.restart}. */
export interface RocketMQBrokerRestartOptions {
  /**
   * `graceful` (default) sends SIGTERM and waits for RocketMQ's shutdown (about 15 s);
   * `kill` sends SIGKILL: a crash, with the store recovered on the next start.
   */
  readonly mode?: 'graceful' | 'kill';
  /** How long the broker stays down before it starts again; 0 by default. */
  readonly downMs?: number;
}

/** A RocketMQ 5 broker that `rocketmq-client-nodejs` can use. */
export interface RocketMQBroker {
  /** `127.0.0.1:<grpcPort>`: the `endpoints` option of the Node client. */
  readonly endpoints: string;
  /** `127.0.0.1:<port>` of the name server; `undefined` for an external broker without `ROCKETMQ_NAMESRV_ADDR`. */
  readonly namesrvAddress: string | undefined;
  readonly grpcPort: number;
  /** Where the processes log (stdout in `*.out`, RocketMQ's logs below); `undefined` for an external broker. */
  readonly logsDir: string | undefined;
  /** True when `ROCKETMQ_ENDPOINTS` pointed at a broker this process did not start. */
  readonly external: boolean;
  /** Process ids of the JVMs running now (name server, broker); empty once stopped. */
  readonly pids: readonly number[];
  /** Creates (or updates) a topic and resolves once a client can route to its queue 0. */
  createTopic(topic: RocketMQTopicSpec | string): Promise<void>;
  /** Creates (or updates) a consumer group. */
  createGroup(group: RocketMQGroupSpec | string): Promise<void>;
  /**
   * Stops the broker (the proxy JVM that holds it), waits `downMs`, and starts it again on the
   * same ports with the same store, as a broker upgrade does; the name server stays up.
   * Resolves once every created topic is routable again. Fails with `EXTERNAL_BROKER` for an
   * external broker.
   */
  restart(options?: RocketMQBrokerRestartOptions): Promise<void>;
  /** Kills every process it started and deletes its files. Safe to call twice. */
  stop(): Promise<void>;
}
