import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRocketMQJars } from './ensure-rocketmq-jars.js';
import { findJava } from './find-java.js';
import { rocketmqJvmArgs } from './jvm-args.js';
import {
  type AdminToolContext,
  createGroupWithAdmin,
  createTopicWithAdmin,
  type RocketMQGroupSpec,
  type RocketMQTopicSpec,
} from './rocketmq-admin.js';
import type { RocketMQBroker, RocketMQBrokerOptions } from './rocketmq-broker.js';
import { RocketMQBrokerError } from './rocketmq-broker-error.js';
import { runInPairs } from './run-in-pairs.js';
import { waitForProxyAnswer, waitForTopicRoute } from './wait-for-topic-route.js';

/**
 * Points at a broker someone else runs (`ROCKETMQ_ENDPOINTS`) without starting anything.
 * Topics and groups are created with the admin tool when `namesrvAddress` is known
 * (`ROCKETMQ_NAMESRV_ADDR`); otherwise topics must exist already (checked by QueryRoute) and
 * groups are left to the broker (existing, or auto-created).
 */
export async function connectExternalRocketMQBroker(
  endpoints: string,
  namesrvAddress: string | undefined,
  options: RocketMQBrokerOptions,
): Promise<RocketMQBroker> {
  const match = /^([^:;,\s]+):(\d+)$/.exec(endpoints);
  if (match === null) {
    throw new RocketMQBrokerError(
      'EXTERNAL_BROKER',
      `ROCKETMQ_ENDPOINTS must be one "host:port" (the proxy's gRPC address), not "${endpoints}".`,
    );
  }
  const timeoutMs = options.startTimeoutMs ?? 120_000;
  await waitForProxyAnswer(endpoints, { timeoutMs: Math.min(timeoutMs, 30_000) });
  let adminHome: string | undefined;
  let admin: Promise<AdminToolContext> | undefined;
  const adminContext = async (address: string): Promise<AdminToolContext> => {
    admin ??= (async () => {
      const [java, jars] = await Promise.all([findJava(options.java), ensureRocketMQJars(options)]);
      adminHome = await mkdtemp(join(tmpdir(), 'idem-rocketmq-admin-'));
      return {
        java: java.command,
        classpath: jars.classpath,
        jvmArgs: rocketmqJvmArgs('admin', { userHome: adminHome }),
        env: process.env,
        namesrvAddress: address,
        clusterName: options.clusterName ?? process.env.ROCKETMQ_CLUSTER ?? 'DefaultCluster',
        logFile: join(adminHome, 'admin.out'),
        timeoutMs,
      };
    })();
    return await admin;
  };

  const createTopic = async (topic: RocketMQTopicSpec | string): Promise<void> => {
    const spec = typeof topic === 'string' ? { name: topic } : topic;
    if (namesrvAddress !== undefined) {
      await createTopicWithAdmin(await adminContext(namesrvAddress), spec);
      await waitForTopicRoute(endpoints, spec.name, { timeoutMs });
      return;
    }
    await waitForTopicRoute(endpoints, spec.name, {
      timeoutMs: 3000,
      timeoutCode: 'TOPIC_NOT_FOUND',
      describe: async () =>
        'The external broker has no usable route for it. Create the topic there (with queue 0), ' +
        'or set ROCKETMQ_NAMESRV_ADDR so the test can create it with mqadmin.',
    });
  };
  const createGroup = async (group: RocketMQGroupSpec | string): Promise<void> => {
    if (namesrvAddress === undefined) return;
    await createGroupWithAdmin(
      await adminContext(namesrvAddress),
      typeof group === 'string' ? { name: group } : group,
    );
  };
  const stop = async (): Promise<void> => {
    if (adminHome !== undefined) await rm(adminHome, { recursive: true, force: true });
  };
  try {
    await runInPairs([
      ...(options.topics ?? []).map((topic) => async () => await createTopic(topic)),
      ...(options.groups ?? []).map((group) => async () => await createGroup(group)),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    endpoints,
    namesrvAddress,
    grpcPort: Number(match[2]),
    logsDir: undefined,
    external: true,
    pids: [],
    createTopic,
    createGroup,
    async restart() {
      throw new RocketMQBrokerError(
        'EXTERNAL_BROKER',
        `cannot restart the external broker at ${endpoints} (ROCKETMQ_ENDPOINTS is set): only a broker started by ` +
          'startRocketMQBroker() can be restarted. Unset ROCKETMQ_ENDPOINTS to run this test on a local broker.',
      );
    },
    stop,
  };
}
