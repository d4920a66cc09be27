import type { Command } from 'commander';
import { formatDeadLetter, formatDeadLetterLine, printableBody } from '../dead-letters/format-dead-letter.js';
import { purgeDeadLetters } from '../dead-letters/purge-dead-letters.js';
import { getDeadLetter, listDeadLetters } from '../dead-letters/read-dead-letters.js';
import { type ReplayItem, replayDeadLetters } from '../dead-letters/replay-dead-letters.js';
import { loadIdemConfig } from '../operations/load-idem-config.js';
import { parseCount } from '../operations/parse-count.js';
import { buildProcessorFromConfig } from './build-processor-from-config.js';
import { type CliIo, CliUsageError } from './cli-io.js';
import { type DatabaseCommandOptions, withDatabase } from './with-database.js';

interface ListOptions extends DatabaseCommandOptions {
  readonly group?: string;
  readonly topic?: string;
  readonly reason?: string;
  readonly includeResolved?: boolean;
  readonly limit: string;
  readonly json?: boolean;
}

interface SelectionOptions extends DatabaseCommandOptions {
  readonly all?: boolean;
  readonly group?: string;
  readonly config?: string;
  readonly limit?: string;
}

/** `idem dead-letters list|show|replay|purge`. */
export function registerDeadLettersCommand(program: Command, io: CliIo): void {
  const deadLetters = program
    .command('dead-letters')
    .description('inspect, replay and purge messages that were dead-lettered');

  deadLetters
    .command('list')
    .description('list open dead letters, newest first')
    .option('--group <consumerGroup>', 'only this consumer group')
    .option('--topic <topic>', 'only this topic')
    .option('--reason <code>', 'only this reason, e.g. BODY_DECODE_FAILED')
    .option('--include-resolved', 'also list replayed and purged ones')
    .option('--limit <n>', 'at most this many', '100')
    .option('--json', 'print JSON')
    .action(async (_options: unknown, command: Command) => {
      await runList(command.optsWithGlobals<ListOptions>(), io);
    });

  deadLetters
    .command('show')
    .description('print one dead letter: headers, reason, error and body')
    .argument('<id>', 'the dead letter id (from list)')
    .option('--json', 'print JSON (the body as text when UTF-8, else base64)')
    .action(async (id: string, _options: unknown, command: Command) => {
      await runShow(id, command.optsWithGlobals<DatabaseCommandOptions & { json?: boolean }>(), io);
    });

  deadLetters
    .command('replay')
    .description('dispatch dead letters through your (fixed) handlers again; needs idem.config.js')
    .argument('[ids...]', 'dead letter ids')
    .option('--all', "every open dead letter of the config's consumer group")
    .option('--limit <n>', 'with --all: at most this many')
    .option('--config <path>', 'config module (default: ./idem.config.js or ./idem.config.mjs)')
    .action(async (ids: string[], _options: unknown, command: Command) => {
      await runReplay(ids, command.optsWithGlobals<SelectionOptions>(), command, io);
    });

  deadLetters
    .command('purge')
    .description('give up on dead letters: mark them resolved (kept for the audit trail until retention)')
    .argument('[ids...]', 'dead letter ids')
    .option('--all', 'every open dead letter (of --group, when given)')
    .option('--group <consumerGroup>', 'only this consumer group')
    .action(async (ids: string[], _options: unknown, command: Command) => {
      await runPurge(ids, command.optsWithGlobals<SelectionOptions>(), io);
    });
}

async function runList(options: ListOptions, io: CliIo): Promise<void> {
  const limit = parseCount('--limit', options.limit);
  await withDatabase(options, io, async (db, url) => {
    const rows = await listDeadLetters(db, {
      schema: options.schema,
      limit,
      includeResolved: options.includeResolved === true,
      ...(options.group === undefined ? {} : { consumerGroup: options.group }),
      ...(options.topic === undefined ? {} : { topic: options.topic }),
      ...(options.reason === undefined ? {} : { reason: options.reason }),
    });
    if (options.json === true) {
      io.stdout(JSON.stringify(rows, null, 2));
      return;
    }
    if (rows.length === 0) {
      io.stdout(
        `No ${options.includeResolved === true ? '' : 'open '}dead letters in schema "${options.schema}" at ${url}.`,
      );
      return;
    }
    io.stdout('id  last dead-lettered  group  topic:tag  reason  key  occurrences  state');
    for (const row of rows) io.stdout(formatDeadLetterLine(row));
    if (rows.length === limit) io.stdout(`(first ${limit}; raise --limit or filter to see more)`);
  });
}

async function runShow(
  id: string,
  options: DatabaseCommandOptions & { json?: boolean },
  io: CliIo,
): Promise<void> {
  await withDatabase(options, io, async (db) => {
    const deadLetter = await getDeadLetter(db, id, { schema: options.schema });
    if (deadLetter === undefined) throw new Error(`no dead letter ${id} in schema "${options.schema}"`);
    if (options.json === true) {
      const { body, ...rest } = deadLetter;
      io.stdout(JSON.stringify({ ...rest, body: printableBody(body) }, null, 2));
      return;
    }
    for (const line of formatDeadLetter(deadLetter)) io.stdout(line);
  });
}

async function runReplay(
  ids: string[],
  options: SelectionOptions,
  command: Command,
  io: CliIo,
): Promise<void> {
  const selection = selectionOf(ids, options, 'replay');
  const limit = options.limit === undefined ? undefined : parseCount('--limit', options.limit);
  const { path, config } = await loadIdemConfig(options.config, process.cwd());
  const schemaFromCli = command.getOptionValueSourceWithGlobals('schema') === 'cli';
  const schema = schemaFromCli ? options.schema : (config.schema ?? options.schema);
  const databaseUrl = options.databaseUrl ?? config.databaseUrl;
  const target = { schema, ...(databaseUrl === undefined ? {} : { databaseUrl }) };
  await withDatabase(target, io, async (db, url) => {
    const processor = await buildProcessorFromConfig(path, config, db, schema);
    io.stdout(
      `Replaying through consumer group "${processor.consumerGroup}" (schema "${schema}" at ${url}):`,
    );
    const report = await replayDeadLetters(processor, db, {
      ...selection,
      ...(limit === undefined ? {} : { limit }),
    });
    for (const item of report.items) io.stdout(replayLine(item));
    io.stdout(`Replayed ${report.replayed}; still open ${report.stillOpen}; skipped ${report.skipped}.`);
    if (report.stillOpen + report.skipped > 0) {
      throw new Error(`${report.stillOpen + report.skipped} dead letter(s) not replayed (see above)`);
    }
  });
}

function replayLine(item: ReplayItem): string {
  const mark = item.outcome === 'replayed' ? '✓' : item.outcome === 'skipped' ? '-' : '✗';
  return `${mark} ${item.id} ${item.outcome}: ${item.detail}`;
}

async function runPurge(ids: string[], options: SelectionOptions, io: CliIo): Promise<void> {
  const selection = selectionOf(ids, options, 'purge');
  await withDatabase(options, io, async (db) => {
    const report = await purgeDeadLetters(db, {
      schema: options.schema,
      ...selection,
      ...(options.group === undefined ? {} : { consumerGroup: options.group }),
    });
    io.stdout(
      report.purgedIds.length === 0
        ? 'Purged nothing.'
        : `Purged ${report.purgedIds.length} dead letter(s): ${report.purgedIds.join(', ')}.`,
    );
    if (report.notOpenIds.length > 0) {
      throw new Error(
        `not open (unknown id, already resolved, or another consumer group): ${report.notOpenIds.join(', ')}`,
      );
    }
  });
}

function selectionOf(
  ids: readonly string[],
  options: SelectionOptions,
  verb: string,
): { readonly ids: readonly string[] } | { readonly all: true } {
  if (options.all === true && ids.length > 0) throw new CliUsageError(`${verb}: give ids or --all, not both`);
  if (options.all === true) return { all: true };
  if (ids.length === 0) throw new CliUsageError(`${verb}: give one or more dead letter ids, or --all`);
  return { ids };
}
