import type { Command } from 'commander';
import { parseDuration } from '../operations/duration.js';
import { parseCount } from '../operations/parse-count.js';
import { rocketMqRetryHorizonMs } from '../operations/rocketmq-retry-defaults.js';
import { runDoctor } from '../operations/run-doctor.js';
import type { CliIo } from './cli-io.js';
import { type DatabaseCommandOptions, withDatabase } from './with-database.js';

interface DoctorCommandOptions extends DatabaseCommandOptions {
  readonly dedupWindow?: string;
  readonly brokerRetention?: string;
  readonly maxRetries?: string;
  readonly outboxMaxAge?: string;
}

/** `idem doctor [--dedup-window 7d] [--broker-retention 72h] [--max-retries 16]`. */
export function registerDoctorCommand(program: Command, io: CliIo): void {
  program
    .command('doctor')
    .description("check the database as the consumers' role: reachable, migrated, privileges, dedup window")
    .option('--dedup-window <duration>', 'your retention window, e.g. 7d: checks it is safe and kept')
    .option('--broker-retention <duration>', 'broker message retention (default 72h)')
    .option('--max-retries <n>', "the group's max retries, for the retry horizon (default 16)")
    .option('--outbox-max-age <duration>', 'warn when a pending outbox row is older (default 10m)')
    .action(async (_options: unknown, command: Command) => {
      await runDoctorCommand(command.optsWithGlobals<DoctorCommandOptions>(), io);
    });
}

async function runDoctorCommand(options: DoctorCommandOptions, io: CliIo): Promise<void> {
  const dedupWindowMs = options.dedupWindow === undefined ? undefined : parseDuration(options.dedupWindow);
  const brokerRetentionMs =
    options.brokerRetention === undefined ? undefined : parseDuration(options.brokerRetention);
  const maxRetryHorizonMs =
    options.maxRetries === undefined
      ? undefined
      : rocketMqRetryHorizonMs(parseCount('--max-retries', options.maxRetries));
  const outboxMaxPendingAgeMs =
    options.outboxMaxAge === undefined ? undefined : parseDuration(options.outboxMaxAge);
  await withDatabase(options, io, async (db, url) => {
    io.stdout(`Idem doctor: schema "${options.schema}" at ${url}`);
    const report = await runDoctor(db, {
      schema: options.schema,
      ...(dedupWindowMs === undefined ? {} : { dedupWindowMs }),
      ...(brokerRetentionMs === undefined ? {} : { brokerRetentionMs }),
      ...(maxRetryHorizonMs === undefined ? {} : { maxRetryHorizonMs }),
      ...(outboxMaxPendingAgeMs === undefined ? {} : { outboxMaxPendingAgeMs }),
    });
    for (const check of report.checks) {
      io.stdout(`${check.ok ? '✓' : check.warning === true ? '!' : '✗'} ${check.name}: ${check.detail}`);
      if (check.fix !== undefined) io.stdout(`    fix: ${check.fix}`);
    }
    const failed = report.checks.filter((check) => !check.ok && check.warning !== true).length;
    const warned = report.checks.filter((check) => !check.ok && check.warning === true).length;
    if (failed > 0) throw new Error(`doctor: ${failed} of ${report.checks.length} checks failed`);
    io.stdout(
      warned === 0
        ? `All ${report.checks.length} checks passed.`
        : `No check failed; ${warned} warning(s) to look at.`,
    );
  });
}
