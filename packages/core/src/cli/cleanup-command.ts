import type { Command } from 'commander';
import { checkDedupWindow } from '../operations/check-dedup-window.js';
import { cleanupProcessedMessages } from '../operations/cleanup-processed-messages.js';
import { formatDuration, parseDuration } from '../operations/duration.js';
import { parseCount } from '../operations/parse-count.js';
import type { CliIo } from './cli-io.js';
import { type DatabaseCommandOptions, withDatabase } from './with-database.js';

interface CleanupCommandOptions extends DatabaseCommandOptions {
  readonly olderThan: string;
  readonly batchSize: string;
  readonly maxBatches: string;
  readonly group?: string;
  readonly deadLettersOlderThan?: string;
  readonly brokerRetention: string;
}

/** `idem cleanup --older-than 7d [--batch-size 1000]`. */
export function registerCleanupCommand(program: Command, io: CliIo): void {
  program
    .command('cleanup')
    .description(
      'delete processed keys older than the dedup window, in small batches (one instance at a time)',
    )
    .requiredOption('--older-than <duration>', 'delete keys stored longer ago than this, e.g. 7d, 12h, 30m')
    .option('--batch-size <n>', 'keys per batch (one short transaction each)', '1000')
    .option('--max-batches <n>', 'stop after this many batches', '1000')
    .option('--group <consumerGroup>', "only this consumer group's keys")
    .option('--dead-letters-older-than <duration>', 'also delete dead letters resolved longer ago than this')
    .option('--broker-retention <duration>', 'broker message retention, for the safety warning', '72h')
    .action(async (_options: unknown, command: Command) => {
      await runCleanup(command.optsWithGlobals<CleanupCommandOptions>(), io);
    });
}

async function runCleanup(options: CleanupCommandOptions, io: CliIo): Promise<void> {
  const olderThanMs = parseDuration(options.olderThan);
  const batchSize = parseCount('--batch-size', options.batchSize);
  const maxBatches = parseCount('--max-batches', options.maxBatches);
  const deadLettersMs =
    options.deadLettersOlderThan === undefined ? undefined : parseDuration(options.deadLettersOlderThan);
  const check = checkDedupWindow({
    dedupWindowMs: olderThanMs,
    brokerRetentionMs: parseDuration(options.brokerRetention),
  });
  for (const warning of check.warnings) io.stderr(`warning: ${warning.message}`);

  await withDatabase(options, io, async (db) => {
    const result = await cleanupProcessedMessages(db, {
      schema: options.schema,
      olderThanMs,
      batchSize,
      maxBatches,
      ...(options.group === undefined ? {} : { consumerGroup: options.group }),
      ...(deadLettersMs === undefined ? {} : { resolvedDeadLettersOlderThanMs: deadLettersMs }),
    });
    if (result.status === 'skipped') {
      io.stdout(`Skipped: another instance is cleaning schema "${options.schema}".`);
      return;
    }
    io.stdout(
      `Deleted ${result.deleted} processed keys older than ${formatDuration(olderThanMs)} in ${result.batches} batch(es), ${formatDuration(result.durationMs)} (schema "${options.schema}").`,
    );
    if (deadLettersMs !== undefined) io.stdout(`Deleted ${result.deadLettersDeleted} resolved dead letters.`);
    io.stdout(
      result.lagMs === undefined
        ? 'Lag: no processed keys remain.'
        : `Lag: the oldest remaining key is ${formatDuration(result.lagMs)} old (${result.oldestRemainingAt?.toISOString()}).`,
    );
    if (!result.caughtUp) io.stdout(`More keys are due: --max-batches ${maxBatches} was reached; run again.`);
  });
}
