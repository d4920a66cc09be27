#!/usr/bin/env node
// Runs a local RocketMQ broker until Ctrl-C, for trying clients by hand:
//
//   node --import tsx packages/testing/scripts/start-rocketmq-broker.mjs [topic ...]
//
// Prints one JSON line ({ endpoints, namesrvAddress, grpcPort, logsDir, pids }) on stdout once ready.
// Each topic gets 1 queue and a consumer group named `<topic>-group`.

const { startRocketMQBroker } = await import('../src/rocketmq-broker/start-rocketmq-broker.ts');
const topics = process.argv.slice(2);
try {
  const broker = await startRocketMQBroker({
    topics: topics.map((name) => ({ name })),
    groups: topics.map((name) => ({ name: `${name}-group` })),
  });
  const { endpoints, namesrvAddress, grpcPort, logsDir, pids } = broker;
  process.stdout.write(`${JSON.stringify({ endpoints, namesrvAddress, grpcPort, logsDir, pids })}\n`);
  const stop = () => {
    broker.stop().then(
      () => process.exit(0),
      (error) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  // The JVMs are unref'd: keep this process alive until a signal arrives.
  setInterval(() => {}, 1 << 30);
} catch (error) {
  console.error(error instanceof Error ? `${error.name} ${error.code ?? ''}: ${error.message}` : error);
  process.exitCode = 1;
}
