import type { Command } from 'commander';
import { migrateDown, migrateToLatest, migrateUp, migrationStatus } from '../migrate.js';
import { type CliIo, CliUsageError } from './cli-io.js';
import { type DatabaseCommandOptions, withDatabase } from './with-database.js';

const ACTIONS = ['latest', 'up', 'down', 'status'] as const;
type MigrateAction = (typeof ACTIONS)[number];

/** `idem migrate [latest|up|down|status]`. */
export function registerMigrateCommand(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description("apply, revert or list Idem's database migrations")
    .argument('[action]', `one of ${ACTIONS.join(', ')}`, 'latest')
    .action(async (action: string, _options: unknown, command: Command) => {
      if (!(ACTIONS as readonly string[]).includes(action)) {
        throw new CliUsageError(`unknown migrate action "${action}": use one of ${ACTIONS.join(', ')}`);
      }
      await runMigrate(action as MigrateAction, command.optsWithGlobals<DatabaseCommandOptions>(), io);
    });
}

async function runMigrate(action: MigrateAction, options: DatabaseCommandOptions, io: CliIo): Promise<void> {
  await withDatabase(options, io, async (db, url) => {
    const target = { schema: options.schema };
    if (action === 'status') {
      const states = await migrationStatus(db, target);
      io.stdout(`Idem migrations in schema "${options.schema}" at ${url}:`);
      for (const state of states) {
        io.stdout(
          `  ${state.executedAt === undefined ? 'pending ' : 'applied '} ${state.name}${
            state.executedAt === undefined ? '' : `  (${state.executedAt.toISOString()})`
          }`,
        );
      }
      const pending = states.filter((state) => state.executedAt === undefined).length;
      io.stdout(pending === 0 ? 'Up to date.' : `${pending} pending: run \`idem migrate\` to apply.`);
      return;
    }
    const run = action === 'latest' ? migrateToLatest : action === 'up' ? migrateUp : migrateDown;
    const steps = await run(db, target);
    if (steps.length === 0) {
      io.stdout(
        action === 'down' ? 'Nothing to revert.' : `Already up to date (schema "${options.schema}").`,
      );
    }
    for (const step of steps) {
      io.stdout(
        `${step.direction === 'Up' ? 'Applied' : 'Reverted'} ${step.name} (schema "${options.schema}")`,
      );
    }
  });
}
