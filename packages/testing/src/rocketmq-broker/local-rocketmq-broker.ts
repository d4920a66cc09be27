import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BrokerConfigInput,
  renderBrokerProperties,
  renderNamesrvProperties,
  renderProxyConfig,
} from './broker-config-files.js';
import { allocateBrokerPorts, boundPorts, isPortFree } from './broker-ports.js';
import type { RocketMQJars } from './ensure-rocketmq-jars.js';
import type { JavaRuntime } from './find-java.js';
import { type JavaProcess, spawnJavaProcess } from './java-process.js';
import { rocketmqJvmArgs } from './jvm-args.js';
import { describeLogTails } from './log-tail.js';
import {
  type AdminToolContext,
  createGroupWithAdmin,
  createTopicWithAdmin,
  type RocketMQGroupSpec,
  type RocketMQTopicSpec,
} from './rocketmq-admin.js';
import type {
  RocketMQBroker,
  RocketMQBrokerOptions,
  RocketMQBrokerRestartOptions,
} from './rocketmq-broker.js';
import { RocketMQBrokerError } from './rocketmq-broker-error.js';
import { runInPairs } from './run-in-pairs.js';
import { waitForJavaOutput } from './wait-for-java-output.js';
import { waitForProxyAnswer, waitForTopicRoute } from './wait-for-topic-route.js';

const NAMESRV_MAIN = 'org.apache.rocketmq.namesrv.NamesrvStartup';
const PROXY_MAIN = 'org.apache.rocketmq.proxy.ProxyStartup';

/**
 * Starts a name server and a proxy in LOCAL mode (the broker inside the proxy's JVM) from the
 * cached jars, on free loopback ports with a private temporary store, and creates the topics
 * and groups asked for. Everything started is stopped again if any step fails.
 */
export async function startLocalRocketMQBroker(
  java: JavaRuntime,
  jars: RocketMQJars,
  options: RocketMQBrokerOptions,
): Promise<RocketMQBroker> {
  const root = await mkdtemp(join(tmpdir(), 'idem-rocketmq-'));
  const dirs = {
    conf: join(root, 'conf'),
    store: join(root, 'store'),
    namesrv: join(root, 'namesrv'),
    logs: join(root, 'logs'),
  };
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  const processes: { namesrv?: JavaProcess; broker?: JavaProcess } = {};
  const topics = new Map<string, RocketMQTopicSpec>();
  let stopped = false;

  const env: NodeJS.ProcessEnv = { ...process.env, ROCKETMQ_HOME: root };
  const logFiles = {
    namesrv: [join(dirs.logs, 'namesrv', 'logs', 'rocketmqlogs', 'namesrv.log')],
    broker: ['proxy.log', 'broker.log', 'store.log'].map((file) =>
      join(dirs.logs, 'broker', 'logs', 'rocketmqlogs', file),
    ),
  };

  const stop = async (): Promise<void> => {
    stopped = true;
    await Promise.all([processes.broker?.stop('SIGKILL'), processes.namesrv?.stop('SIGKILL')]);
    await rm(root, { recursive: true, force: true });
  };

  try {
    await Promise.all(Object.values(dirs).map(async (dir) => await mkdir(dir, { recursive: true })));
    const ports = await allocateBrokerPorts();
    const config: BrokerConfigInput = {
      ports,
      clusterName: options.clusterName ?? 'DefaultCluster',
      brokerName: 'broker-a',
      namesrvDir: dirs.namesrv,
      storeDir: dirs.store,
      autoCreate: options.autoCreate ?? false,
      maxLongPollingMs: options.maxLongPollingMs ?? 3000,
    };
    const files = {
      namesrv: join(dirs.conf, 'namesrv.properties'),
      broker: join(dirs.conf, 'broker.conf'),
      proxy: join(dirs.conf, 'rmq-proxy.json'),
    };
    await writeFile(files.namesrv, renderNamesrvProperties(config));
    await writeFile(files.broker, renderBrokerProperties(config));
    await writeFile(files.proxy, renderProxyConfig(config));
    const endpoints = `127.0.0.1:${ports.grpc}`;
    const namesrvAddress = `127.0.0.1:${ports.namesrv}`;
    const describeBrokerLogs = async (): Promise<string> =>
      await describeLogTails([join(dirs.logs, 'broker.out'), ...logFiles.broker]);

    const admin: AdminToolContext = {
      java: java.command,
      classpath: jars.classpath,
      jvmArgs: rocketmqJvmArgs('admin', { userHome: join(dirs.logs, 'admin') }),
      env,
      namesrvAddress,
      clusterName: config.clusterName,
      logFile: join(dirs.logs, 'admin.out'),
      // One command normally confirms within seconds; a minute means it hangs, so try again.
      timeoutMs: Math.min(timeoutMs, 60_000),
    };

    const startBroker = async (): Promise<void> => {
      const broker = await spawnJavaProcess({
        java: java.command,
        jvmArgs: rocketmqJvmArgs('broker', {
          userHome: join(dirs.logs, 'broker'),
          ...(options.brokerHeapMb === undefined ? {} : { heapMb: options.brokerHeapMb }),
        }),
        classpath: jars.classpath,
        mainClass: PROXY_MAIN,
        args: ['-pc', files.proxy, '-bc', files.broker, '-pm', 'LOCAL', '-n', namesrvAddress],
        env,
        cwd: root,
        outputFile: join(dirs.logs, 'broker.out'),
      });
      processes.broker = broker;
      if (stopped) {
        // stop() ran while this start was under way and could not see the new JVM.
        await broker.stop('SIGKILL');
        throw new RocketMQBrokerError('BROKER_STOPPED', 'the RocketMQ broker was stopped while it started');
      }
      await waitForJavaOutput(broker, {
        what: `the RocketMQ ${jars.version} proxy and broker`,
        ready: /rocketmq-proxy startup successfully/,
        timeoutMs,
        logFiles: logFiles.broker,
      });
      // Ready for clients once QueryRoute answers from the name server, and once every topic
      // created earlier is routable again (after a restart).
      await waitForProxyAnswer(endpoints, { timeoutMs, describe: describeBrokerLogs });
      for (const topic of topics.keys()) {
        await waitForTopicRoute(endpoints, topic, { timeoutMs, describe: describeBrokerLogs });
      }
    };

    const namesrv = await spawnJavaProcess({
      java: java.command,
      jvmArgs: rocketmqJvmArgs('namesrv', { userHome: join(dirs.logs, 'namesrv') }),
      classpath: jars.classpath,
      mainClass: NAMESRV_MAIN,
      args: ['-c', files.namesrv],
      env,
      cwd: root,
      outputFile: join(dirs.logs, 'namesrv.out'),
    });
    processes.namesrv = namesrv;
    await waitForJavaOutput(namesrv, {
      what: `the RocketMQ ${jars.version} name server`,
      ready: /The Name Server boot success/,
      timeoutMs,
      logFiles: logFiles.namesrv,
    });
    await startBroker();

    const assertRunning = (): void => {
      if (stopped) throw new RocketMQBrokerError('BROKER_STOPPED', 'the RocketMQ broker has been stopped');
    };
    const createTopic = async (topic: RocketMQTopicSpec | string): Promise<void> => {
      assertRunning();
      const spec = typeof topic === 'string' ? { name: topic } : topic;
      await createTopicWithAdmin(admin, spec);
      await waitForTopicRoute(endpoints, spec.name, { timeoutMs, describe: describeBrokerLogs });
      topics.set(spec.name, spec);
    };
    const createGroup = async (group: RocketMQGroupSpec | string): Promise<void> => {
      assertRunning();
      await createGroupWithAdmin(admin, typeof group === 'string' ? { name: group } : group);
    };
    await runInPairs([
      ...(options.topics ?? []).map((topic) => async () => await createTopic(topic)),
      ...(options.groups ?? []).map((group) => async () => await createGroup(group)),
    ]);

    return {
      endpoints,
      namesrvAddress,
      grpcPort: ports.grpc,
      logsDir: dirs.logs,
      external: false,
      get pids() {
        return [processes.namesrv, processes.broker]
          .filter((jvm): jvm is JavaProcess => jvm?.isRunning() === true)
          .map((jvm) => jvm.pid);
      },
      createTopic,
      createGroup,
      async restart(restartOptions: RocketMQBrokerRestartOptions = {}) {
        assertRunning();
        const mode = restartOptions.mode ?? 'graceful';
        await processes.broker?.stop(mode === 'kill' ? 'SIGKILL' : 'SIGTERM');
        await sleep(restartOptions.downMs ?? 0);
        assertRunning();
        await waitForPortsFree(boundPorts(ports), 15_000);
        await startBroker();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function waitForPortsFree(ports: readonly number[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const port of ports) {
    while (!(await isPortFree(port))) {
      if (Date.now() > deadline) {
        throw new RocketMQBrokerError(
          'PORT_IN_USE',
          `port ${port} of the stopped broker is still in use after ${timeoutMs} ms, so it cannot start again on the same ports.`,
        );
      }
      await sleep(200);
    }
  }
}
