import { RocketMQBrokerError } from './rocketmq-broker-error.js';

const MISSING_TOOLS = new Set(['JAVA_NOT_FOUND', 'MAVEN_NOT_FOUND', 'JARS_UNAVAILABLE']);

/**
 * Why a real-broker test may be skipped: the error from {@link startRocketMQBroker} says this
 * machine lacks Java, Maven or the jars, and `IDEM_REQUIRE_REAL_BROKER` is not `1` (CI sets it,
 * so there a missing tool fails the run). Returns `undefined` when the test must fail instead.
 *
 * @example
 * ```ts
 * it('...', async (ctx) => {
 *   const reason = realBrokerSkipReason(startError);
 *   if (reason !== undefined) ctx.skip(reason);
 * });
 * ```
 */
export function realBrokerSkipReason(error: unknown): string | undefined {
  if (process.env.IDEM_REQUIRE_REAL_BROKER === '1') return undefined;
  if (!(error instanceof RocketMQBrokerError) || !MISSING_TOOLS.has(error.code)) return undefined;
  return `no real RocketMQ broker on this machine (${error.code}): ${error.message}`;
}
