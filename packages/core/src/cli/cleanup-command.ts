import type { Command } from 'commander';
import { checkDedupWindow } from '../operations/check-dedup-window.js';
import { cleanupProcessedMessages } from '../operations/cleanup-processed-messages.js';
import { formatDuration, parseDuration } from '../operations/duration.js';
import { parseCount } from '../operations/parse-count.js';
import type { CliIo } from './cli-io.js';
import { type DatabaseCommandOptions, withDatabase } from './with-database.js';

interface CleanupCommandOptions extends DatabaseCommandOptions {
  readonly olderThan: string;
  readonly slice?: string;
  readonly lockTimeout?: string;
  readonly batchSize: string;
  readonly maxBatches: string;
  readonly deadLettersOlderThan?: string;
  readonly brokerRetention: string;
}

/** `idem cleanup [--older-than 4d] [--slice 1d]`. */
export function registerCleanupCommand(program: Command, io: CliIo): void {
  program
    .command('cleanup')
    .description(
      'apply the dedup window: create time slices of processed keys ahead, drop expired slices whole (one instance at a time)',
    )
    .option(
      '--older-than <duration>',
      'the dedup window: keys are kept at least this long, e.g. 7d, 12h',
      '4d',
    )
    .option('--slice <duration>', 'length of one time slice (default: a quarter of the window)')
    .option(
      '--lock-timeout <duration>',
      'longest wait for a lock before a step is tried again, three tries (default 100ms)',
    )
    .option('--batch-size <n>', 'dead letters per delete statement', '1000')
    .option('--max-batches <n>', 'stop deleting dead letters after this many batches', '1000')
    .option('--dead-letters-older-than <duration>', 'also delete dead letters resolved longer ago than this')
    .option('--broker-retention <duration>', 'broker message retention, for the safety warning', '72h')
    .action(async (_options: unknown, command: Command) => {
      await runCleanup(command.optsWithGlobals<CleanupCommandOptions>(), io);
    });
}

async function runCleanup(options: CleanupCommandOptions, io: CliIo): Promise<void> {
  const olderThanMs = parseDuration(options.olderThan);
  const sliceMs = options.slice === undefined ? undefined : parseDuration(options.slice);
  const lockTimeoutMs = options.lockTimeout === undefined ? undefined : parseDuration(options.lockTimeout);
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
      ...(sliceMs === undefined ? {} : { sliceMs }),
      ...(lockTimeoutMs === undefined ? {} : { lockTimeoutMs }),
      ...(deadLettersMs === undefined ? {} : { resolvedDeadLettersOlderThanMs: deadLettersMs }),
    });
    if (result.status === 'skipped') {
      io.stdout(`Skipped: another instance is cleaning schema "${options.schema}".`);
      return;
    }
    io.stdout(
      `Dropped ${result.slicesDropped} expired slice(s) (~${result.deleted} keys) older than ${formatDuration(olderThanMs)}, created ${result.slicesCreated} slice(s) ahead${result.legacyTruncated ? ', emptied the pre-upgrade table' : ''}, ${formatDuration(result.durationMs)} (schema "${options.schema}").`,
    );
    if (deadLettersMs !== undefined) io.stdout(`Deleted ${result.deadLettersDeleted} resolved dead letters.`);
    io.stdout(
      result.lagMs === undefined
        ? 'Lag: no processed keys remain.'
        : `Lag: the oldest slice started ${formatDuration(result.lagMs)} ago (${result.oldestRemainingAt?.toISOString()}).`,
    );
    if (result.deferred > 0) io.stdout(`${result.deferred} step(s) waited too long for a lock; run again.`);
    else if (!result.caughtUp)
      io.stdout(`More dead letters are due: --max-batches ${maxBatches} was reached; run again.`);
  });
}
