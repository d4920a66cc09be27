import type { Command } from 'commander';
import {
  listOutbox,
  type OutboxEntry,
  purgeOutboxRows,
  retryOutboxRows,
} from '../operations/outbox-operations.js';
import { parseCount } from '../operations/parse-count.js';
import type { OutboxStatus } from '../store/idem-tables.js';
import { type CliIo, CliUsageError } from './cli-io.js';
import { type DatabaseCommandOptions, withDatabase } from './with-database.js';

interface ListOptions extends DatabaseCommandOptions {
  readonly status?: string;
  readonly topic?: string;
  readonly limit: string;
  readonly json?: boolean;
}

interface SelectionOptions extends DatabaseCommandOptions {
  readonly failed?: boolean;
  readonly sent?: boolean;
}

const STATUSES: readonly OutboxStatus[] = ['pending', 'sent', 'failed'];

/** `idem outbox list|retry|purge`: messages sent from transactions that are not out yet. */
export function registerOutboxCommand(program: Command, io: CliIo): void {
  const outbox = program
    .command('outbox')
    .description('inspect, retry and purge outgoing messages (the outbox)');

  outbox
    .command('list')
    .description('list outbox rows not sent yet (pending and failed), oldest first')
    .option('--status <status>', 'only pending, failed or sent (sent rows exist with keepSentForMs)')
    .option('--topic <topic>', 'only this topic')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON')
    .action(async (_options: unknown, command: Command) => {
      await runList(command.optsWithGlobals<ListOptions>(), io);
    });

  outbox
    .command('retry')
    .description('send failed rows again (after fixing the cause), or pending ones now')
    .argument('[ids...]', 'outbox row ids (from list)')
    .option('--failed', 'every failed row')
    .action(async (ids: string[], _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<SelectionOptions>();
      if ((options.failed === true) === ids.length > 0)
        throw new CliUsageError('retry: give row ids or --failed');
      await withDatabase(options, io, async (db) => {
        const selection = options.failed === true ? ({ allFailed: true } as const) : { ids: checkIds(ids) };
        const report = await retryOutboxRows(db, selection, { schema: options.schema });
        io.stdout(
          report.changedIds.length === 0
            ? 'Retried nothing.'
            : `Retrying ${report.changedIds.length} row(s): ${report.changedIds.join(', ')}.`,
        );
        if (report.skippedIds.length > 0) throw new Error(`no unsent row: ${report.skippedIds.join(', ')}`);
      });
    });

  outbox
    .command('purge')
    .description('delete failed rows (give the message up; its group resumes) or kept sent rows')
    .argument('[ids...]', 'outbox row ids (failed or sent; pending rows are never purged)')
    .option('--failed', 'every failed row')
    .option('--sent', 'every sent row kept for the retention window')
    .action(async (ids: string[], _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<SelectionOptions>();
      const flags = Number(options.failed === true) + Number(options.sent === true);
      if (flags + Number(ids.length > 0) !== 1)
        throw new CliUsageError('purge: give row ids, --failed or --sent');
      await withDatabase(options, io, async (db) => {
        const selection =
          ids.length > 0
            ? { ids: checkIds(ids) }
            : ({ status: options.failed === true ? 'failed' : 'sent' } as const);
        const report = await purgeOutboxRows(db, selection, { schema: options.schema });
        io.stdout(
          report.changedIds.length === 0
            ? 'Purged nothing.'
            : `Purged ${report.changedIds.length} row(s): ${report.changedIds.join(', ')}.`,
        );
        if (report.skippedIds.length > 0) {
          throw new Error(
            `not failed or sent (unknown id, or still pending): ${report.skippedIds.join(', ')}`,
          );
        }
      });
    });
}

async function runList(options: ListOptions, io: CliIo): Promise<void> {
  const limit = parseCount('--limit', options.limit);
  const status = options.status;
  if (status !== undefined && !STATUSES.includes(status as OutboxStatus)) {
    throw new CliUsageError(`--status must be one of ${STATUSES.join(', ')}, got ${JSON.stringify(status)}`);
  }
  await withDatabase(options, io, async (db, url) => {
    const rows = await listOutbox(db, {
      schema: options.schema,
      limit,
      ...(status === undefined ? {} : { statuses: [status as OutboxStatus] }),
      ...(options.topic === undefined ? {} : { topic: options.topic }),
    });
    if (options.json === true) {
      io.stdout(JSON.stringify(rows, null, 2));
      return;
    }
    if (rows.length === 0) {
      io.stdout(`Nothing ${status ?? 'unsent'} in the outbox of schema "${options.schema}" at ${url}.`);
      return;
    }
    io.stdout('id  status  created  topic:tag  keys  group  attempts  last error');
    for (const row of rows) io.stdout(formatLine(row));
    if (rows.length === limit) io.stdout(`(first ${limit}; raise --limit or filter to see more)`);
  });
}

function formatLine(row: OutboxEntry): string {
  return [
    row.id,
    row.status,
    row.createdAt.toISOString(),
    `${row.topic}:${row.tag ?? '*'}`,
    row.keys.join(','),
    row.messageGroup ?? '-',
    String(row.attempts),
    row.lastError ?? '',
  ].join('  ');
}

function checkIds(ids: readonly string[]): readonly string[] {
  for (const id of ids)
    if (!/^\d{1,18}$/.test(id)) throw new CliUsageError(`not an outbox row id: ${JSON.stringify(id)}`);
  return ids;
}
