import { setTimeout as sleep } from 'node:timers/promises';
import { queryTopicRoute, type TopicRouteAnswer } from './query-topic-route.js';
import { RocketMQBrokerError, type RocketMQBrokerErrorCode } from './rocketmq-broker-error.js';

/** Options of {@link waitForTopicRoute}. */
export interface WaitForTopicRouteOptions {
  readonly timeoutMs: number;
  /** The answer that ends the wait; by default an `OK` route that holds queue 0. */
  readonly accept?: (answer: TopicRouteAnswer) => boolean;
  /** Code of the error thrown on timeout. */
  readonly timeoutCode?: RocketMQBrokerErrorCode;
  /** Extra text for the timeout error, e.g. log tails. */
  readonly describe?: () => Promise<string>;
}

/**
 * True for a route the Node client can use: its load balancers keep only queue 0 of a route
 * (and fail without one), although the proxy then serves receives from every queue.
 */
export function isUsableRoute(answer: TopicRouteAnswer): boolean {
  return answer.code === 'OK' && answer.queueIds.includes(0);
}

/**
 * Polls QueryRoute on the proxy until the answer is accepted, the way the Node client will ask
 * right after. Fails with `timeoutCode` (default `BROKER_START_TIMEOUT`) and the last answer.
 */
export async function waitForTopicRoute(
  endpoints: string,
  topic: string,
  options: WaitForTopicRouteOptions,
): Promise<TopicRouteAnswer> {
  const accept = options.accept ?? isUsableRoute;
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const answer = await queryTopicRoute(endpoints, topic);
    if (accept(answer)) return answer;
    if (Date.now() > deadline) {
      const extra = options.describe === undefined ? '' : `\n${await options.describe()}`;
      throw new RocketMQBrokerError(
        options.timeoutCode ?? 'BROKER_START_TIMEOUT',
        `QueryRoute for topic "${topic}" at ${endpoints} did not succeed within ${options.timeoutMs} ms; ` +
          `last answer: ${answer.code} ${answer.message} (queues: ${answer.queueIds.join(',') || 'none'}).${extra}`,
      );
    }
    await sleep(250);
  }
}

// Never created: QueryRoute answers TOPIC_NOT_FOUND for it once the proxy can reach the name server.
const PROBE_TOPIC = 'idem_readiness_probe';

/**
 * Waits until the proxy answers QueryRoute from the name server's data (TOPIC_NOT_FOUND for a
 * topic nobody creates), which is the first call every Node client makes.
 */
export async function waitForProxyAnswer(
  endpoints: string,
  options: Omit<WaitForTopicRouteOptions, 'accept'>,
): Promise<void> {
  await waitForTopicRoute(endpoints, PROBE_TOPIC, {
    ...options,
    accept: (answer) => answer.code === 'TOPIC_NOT_FOUND' || answer.code === 'OK',
  });
}
