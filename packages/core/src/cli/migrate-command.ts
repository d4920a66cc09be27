import type { Command } from 'commander';
import { migrateDown, migrateToLatest, migrateUp, migrationStatus } from '../migrate.js';
import { migrationSql } from '../migration-sql.js';
import { type CliIo, CliUsageError } from './cli-io.js';
import { type DatabaseCommandOptions, withDatabase } from './with-database.js';

const ACTIONS = ['latest', 'up', 'down', 'status'] as const;
type MigrateAction = (typeof ACTIONS)[number];

/** `idem migrate [latest|up|down|status] [--print-sql]`. */
export function registerMigrateCommand(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description("apply, revert or list Idem's database migrations")
    .argument('[action]', `one of ${ACTIONS.join(', ')}`, 'latest')
    .option(
      '--print-sql',
      "print the SQL of every migration (and its record in Idem's migration table) instead of running it, for DBAs who apply migrations themselves; needs no database",
    )
    .action(async (action: string, options: { printSql?: boolean }, command: Command) => {
      if (!(ACTIONS as readonly string[]).includes(action)) {
        throw new CliUsageError(`unknown migrate action "${action}": use one of ${ACTIONS.join(', ')}`);
      }
      const globals = command.optsWithGlobals<DatabaseCommandOptions>();
      if (options.printSql === true) {
        if (action !== 'latest')
          throw new CliUsageError(`--print-sql goes with "migrate" alone, not "${action}"`);
        io.stdout((await migrationSql({ schema: globals.schema })).trimEnd());
        return;
      }
      await runMigrate(action as MigrateAction, globals, io);
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
