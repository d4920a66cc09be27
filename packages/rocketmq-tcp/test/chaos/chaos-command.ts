/**
 * `pnpm chaos`: the chaos scenario of chaos-real-broker.test.ts at any scale, on a real RocketMQ
 * broker started for the run (or ROCKETMQ_ENDPOINTS, which cannot be restarted). Prints progress
 * on stderr, the table on stdout, and exits 1 when exactly-once or the counts broke.
 */
import { startRocketMQBroker } from '@idem/testing';
import { chaosViolations } from './chaos-report.js';
import { formatChaosTable } from './format-chaos-table.js';
import { CHAOS_USAGE, parseChaosArgs } from './parse-chaos-args.js';
import { runChaosScenario } from './run-chaos-scenario.js';

const options = parseChaosArgs(process.argv.slice(2).filter((arg) => arg !== '--'));
if (options === 'help') {
  console.warn(CHAOS_USAGE);
} else {
  const log = (line: string): void =>
    console.warn(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);
  log(`options ${JSON.stringify(options)}`);
  const brokerStartedAt = Date.now();
  // A restart on a loaded 2-core machine took over the launcher's default 120 s to start again.
  const broker = await startRocketMQBroker({ startTimeoutMs: 600_000 });
  log(`broker up at ${broker.endpoints} in ${((Date.now() - brokerStartedAt) / 1000).toFixed(1)} s`);
  // Ctrl-C must not leave two JVMs behind.
  process.once('SIGINT', () => {
    void broker.stop().finally(() => process.exit(130));
  });
  try {
    const report = await runChaosScenario(broker, options, { log });
    process.stdout.write(`${formatChaosTable(report)}\n`);
    const violations = chaosViolations(report);
    for (const violation of violations) console.error(`VIOLATION: ${violation}`);
    log(
      violations.length === 0
        ? 'exactly once: every key has one effect, none missing, counts add up'
        : 'FAILED',
    );
    process.exitCode = violations.length === 0 ? 0 : 1;
  } finally {
    await broker.stop();
  }
}
