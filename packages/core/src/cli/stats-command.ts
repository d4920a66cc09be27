import type { Command } from 'commander';
import { collectIdemStats } from '../operations/collect-idem-stats.js';
import { formatDuration } from '../operations/duration.js';
import type { CliIo } from './cli-io.js';
import { type DatabaseCommandOptions, withDatabase } from './with-database.js';

/** `idem stats [--json]`. */
export function registerStatsCommand(program: Command, io: CliIo): void {
  program
    .command('stats')
    .description('processed keys per consumer group, table sizes, open dead letters per reason, the outbox')
    .option('--json', 'print JSON')
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<DatabaseCommandOptions & { json?: boolean }>();
      await withDatabase(options, io, async (db, url) => {
        const stats = await collectIdemStats(db, { schema: options.schema });
        if (options.json === true) {
          io.stdout(JSON.stringify(stats, null, 2));
          return;
        }
        const processed = stats.processedMessages;
        io.stdout(`Idem in schema "${stats.schema}" at ${url}`);
        io.stdout(
          `processed keys: ${processed.total} (${formatBytes(processed.totalBytes)} on disk)` +
            (processed.oldestAt === undefined
              ? ''
              : `, oldest ${processed.oldestAt.toISOString()}, newest ${processed.newestAt?.toISOString()}`),
        );
        for (const group of processed.byConsumerGroup) {
          io.stdout(
            `  ${group.consumerGroup}: ${group.count} (oldest ${group.oldestAt.toISOString()}, newest ${group.newestAt.toISOString()})`,
          );
        }
        const dead = stats.deadLetters;
        io.stdout(
          `dead letters: ${dead.open} open, ${dead.resolved} resolved (${formatBytes(dead.totalBytes)} on disk)`,
        );
        for (const entry of dead.openByReason)
          io.stdout(`  ${entry.consumerGroup}  ${entry.reason}: ${entry.count}`);
        const { outbox } = stats;
        io.stdout(
          `outbox: ${outbox.pending} pending` +
            (outbox.oldestPendingAt === undefined
              ? ''
              : ` (oldest ${outbox.oldestPendingAt.toISOString()}, ${formatDuration((outbox.oldestPendingAgeSeconds ?? 0) * 1000)} old)`) +
            `, ${outbox.failed} failed, ${outbox.sent} sent and kept` +
            (outbox.heldGroups > 0 ? `, ${outbox.heldGroups} message group(s) held` : ''),
        );
      });
    });
}

function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
