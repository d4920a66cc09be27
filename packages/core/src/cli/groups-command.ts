import type { Command } from 'commander';
import { loadIdemConfig } from '../operations/load-idem-config.js';
import { listQuarantinedGroups, releaseMessageGroup } from '../operations/message-group-quarantine.js';
import { buildProcessorFromConfig } from './build-processor-from-config.js';
import type { CliIo } from './cli-io.js';
import { type DatabaseCommandOptions, withDatabase } from './with-database.js';

interface GroupsListOptions extends DatabaseCommandOptions {
  readonly group?: string;
}

interface GroupsReleaseOptions extends DatabaseCommandOptions {
  readonly config?: string;
}

/** `idem groups list|release`: FIFO message groups quarantined after a dead letter. */
export function registerGroupsCommand(program: Command, io: CliIo): void {
  const groups = program.command('groups').description('FIFO message groups quarantined after a dead letter');
  groups
    .command('list')
    .description('list quarantined message groups')
    .option('--group <consumerGroup>', 'only this consumer group')
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<GroupsListOptions>();
      await withDatabase(options, io, async (db) => {
        const quarantined = await listQuarantinedGroups(db, {
          schema: options.schema,
          ...(options.group === undefined ? {} : { consumerGroup: options.group }),
        });
        if (quarantined.length === 0) io.stdout('No quarantined message groups.');
        for (const group of quarantined) {
          io.stdout(
            `${group.consumerGroup}  ${group.messageGroup}  since ${group.quarantinedAt.toISOString()}  ${group.reason} (message ${group.messageId})  ${group.openDeadLetters} open dead letter(s)`,
          );
        }
      });
    });
  groups
    .command('release <messageGroup>')
    .description(
      "lift a group's quarantine and replay its dead letters in order (needs your handlers: --config)",
    )
    .option(
      '--config <path>',
      'the idem.config module with your handlers (default: ./idem.config.js or .mjs)',
    )
    .action(async (messageGroup: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<GroupsReleaseOptions>();
      const { path, config } = await loadIdemConfig(options.config, process.cwd());
      const schema =
        command.getOptionValueSourceWithGlobals('schema') === 'cli'
          ? options.schema
          : (config.schema ?? options.schema);
      const databaseUrl = options.databaseUrl ?? config.databaseUrl;
      await withDatabase(
        { schema, ...(databaseUrl === undefined ? {} : { databaseUrl }) },
        io,
        async (db) => {
          const processor = await buildProcessorFromConfig(path, config, db, schema);
          const report = await releaseMessageGroup(processor, db, messageGroup);
          io.stdout(
            `${report.wasQuarantined ? 'Released' : 'Was not quarantined:'} message group "${messageGroup}" of consumer group "${processor.consumerGroup}"; replayed ${report.replay.replayed}, still open ${report.replay.stillOpen}.`,
          );
          for (const item of report.replay.items) io.stdout(`  ${item.id}  ${item.outcome}  ${item.detail}`);
          if (report.quarantinedAgain) {
            throw new Error(
              `message group "${messageGroup}" is quarantined again: a message failed again (see above)`,
            );
          }
        },
      );
    });
}
