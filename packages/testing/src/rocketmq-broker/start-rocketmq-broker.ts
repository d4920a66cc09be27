import { ensureRocketMQJars } from './ensure-rocketmq-jars.js';
import { connectExternalRocketMQBroker } from './external-rocketmq-broker.js';
import { findJava } from './find-java.js';
import { startLocalRocketMQBroker } from './local-rocketmq-broker.js';
import type { RocketMQBroker, RocketMQBrokerOptions } from './rocketmq-broker.js';

/**
 * Starts a real Apache RocketMQ 5 broker for tests and resolves once `rocketmq-client-nodejs`
 * can use it: a name server plus a proxy in LOCAL mode (broker inside), run from the Maven
 * Central jars (fetched once into `~/.cache/idem`), on free loopback ports with a temporary
 * store, with the requested topics and groups created by RocketMQ's admin tool.
 *
 * With `ROCKETMQ_ENDPOINTS` set nothing is started: the result points at that broker
 * (`ROCKETMQ_NAMESRV_ADDR` optional) and `restart()` fails with `EXTERNAL_BROKER`.
 *
 * Fails with a `RocketMQBrokerError` naming what is missing: `JAVA_NOT_FOUND`,
 * `MAVEN_NOT_FOUND`, `JARS_UNAVAILABLE`, `PORT_IN_USE`, `BROKER_START_TIMEOUT` (with log tails).
 *
 * @example
 * ```ts
 * const broker = await startRocketMQBroker({ topics: [{ name: 'orders' }], groups: [{ name: 'billing' }] });
 * const producer = new Producer({ endpoints: broker.endpoints, namespace: '' });
 * // ...
 * await broker.restart({ mode: 'kill', downMs: 2000 });
 * await broker.stop();
 * ```
 */
export async function startRocketMQBroker(options: RocketMQBrokerOptions = {}): Promise<RocketMQBroker> {
  const external = process.env.ROCKETMQ_ENDPOINTS;
  if (external !== undefined && external !== '') {
    const namesrv = process.env.ROCKETMQ_NAMESRV_ADDR;
    return await connectExternalRocketMQBroker(external, namesrv === '' ? undefined : namesrv, options);
  }
  const java = await findJava(options.java);
  const jars = await ensureRocketMQJars(options);
  return await startLocalRocketMQBroker(java, jars, options);
}
