#!/usr/bin/env node
// Pre-fetches the RocketMQ jars that startRocketMQBroker() runs into ~/.cache/idem/rocketmq-<version>
// (or $IDEM_ROCKETMQ_HOME), so CI downloads them once, before the tests:
//
//   node --import tsx packages/testing/scripts/fetch-rocketmq-jars.mjs [version]

const { ensureRocketMQJars } = await import('../src/rocketmq-broker/ensure-rocketmq-jars.ts');
const started = Date.now();
try {
  const version = process.argv[2];
  const jars = await ensureRocketMQJars(version === undefined ? {} : { version });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.warn(
    `RocketMQ ${jars.version} jars ${jars.fetched ? `fetched in ${seconds} s` : 'already cached'}: ${jars.libDir}`,
  );
} catch (error) {
  console.error(error instanceof Error ? `${error.name} ${error.code ?? ''}: ${error.message}` : error);
  process.exitCode = 1;
}
