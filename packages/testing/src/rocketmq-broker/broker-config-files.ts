import type { BrokerPorts } from './broker-ports.js';

/** What the three configuration files of a local broker are made from. */
export interface BrokerConfigInput {
  readonly ports: BrokerPorts;
  readonly clusterName: string;
  readonly brokerName: string;
  /** Name server state (kv config). */
  readonly namesrvDir: string;
  /** Root of the message store: commit log, consume queues, topics and groups. */
  readonly storeDir: string;
  /** Lets producers and consumers create topics and groups on first use. */
  readonly autoCreate: boolean;
  /** Upper bound the proxy puts on a consumer's long poll, in milliseconds. */
  readonly maxLongPollingMs: number;
}

/** `namesrv.properties` for `NamesrvStartup -c`: loopback only, state in a private directory. */
export function renderNamesrvProperties(input: BrokerConfigInput): string {
  return properties({
    listenPort: input.ports.namesrv,
    bindAddress: '127.0.0.1',
    kvConfigPath: `${input.namesrvDir}/kvConfig.json`,
    configStorePath: `${input.namesrvDir}/namesrv.properties`,
  });
}

/** `broker.conf` for `ProxyStartup -bc`: a single master with small mapped files in a private store. */
export function renderBrokerProperties(input: BrokerConfigInput): string {
  return properties({
    brokerClusterName: input.clusterName,
    brokerName: input.brokerName,
    brokerId: 0,
    brokerRole: 'ASYNC_MASTER',
    // The address the broker registers with the name server; the machine's IP by default.
    brokerIP1: '127.0.0.1',
    bindAddress: '127.0.0.1',
    listenPort: input.ports.brokerListen,
    namesrvAddr: `127.0.0.1:${input.ports.namesrv}`,
    storePathRootDir: input.storeDir,
    storePathCommitLog: `${input.storeDir}/commitlog`,
    // 16 MB commit log files and 3000-entry consume queues instead of 1 GB and 300k entries.
    mappedFileSizeCommitLog: 16 * 1024 * 1024,
    mappedFileSizeConsumeQueue: 3000 * 20,
    mappedFileSizeTimerLog: 16 * 1024 * 1024,
    autoCreateTopicEnable: input.autoCreate,
    autoCreateSubscriptionGroup: input.autoCreate,
    // A test machine's disk may be fuller than the 75% at which the broker stops accepting writes.
    diskMaxUsedSpaceRatio: 95,
  });
}

/** `rmq-proxy.json` for `ProxyStartup -pc`: LOCAL mode, the broker runs inside the proxy. */
export function renderProxyConfig(input: BrokerConfigInput): string {
  return `${JSON.stringify(
    {
      rocketMQClusterName: input.clusterName,
      namesrvAddr: `127.0.0.1:${input.ports.namesrv}`,
      proxyMode: 'LOCAL',
      grpcServerPort: input.ports.grpc,
      remotingListenPort: input.ports.remoting,
      grpcClientConsumerMinLongPollingTimeoutMillis: Math.min(1000, input.maxLongPollingMs),
      // Consumers' shutdown waits for their open long poll: keep it short in tests.
      grpcClientConsumerMaxLongPollingTimeoutMillis: input.maxLongPollingMs,
      // A graceful stop gives open gRPC calls (long polls, telemetry streams) 3 s instead of 30 s.
      grpcShutdownTimeSeconds: 3,
      // Topics and groups created during a test become visible within a second.
      topicRouteServiceCacheRefreshSeconds: 1,
      topicConfigCacheRefreshSeconds: 1,
      subscriptionGroupConfigCacheRefreshSeconds: 1,
    },
    null,
    2,
  )}\n`;
}

function properties(values: Readonly<Record<string, string | number | boolean>>): string {
  return `${Object.entries(values)
    .map(([key, value]) => `${key}=${String(value)}`)
    .join('\n')}\n`;
}
