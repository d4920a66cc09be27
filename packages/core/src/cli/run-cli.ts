import { Command, CommanderError } from 'commander';
import { IdemError } from '../errors.js';
import { DEFAULT_SCHEMA } from '../schema-name.js';
import { registerCleanupCommand } from './cleanup-command.js';
import { type CliIo, CliUsageError, EXIT_FAILED, EXIT_OK, EXIT_USAGE } from './cli-io.js';
import { registerDeadLettersCommand } from './dead-letters-command.js';
import { registerDoctorCommand } from './doctor-command.js';
import { registerGroupsCommand } from './groups-command.js';
import { registerMigrateCommand } from './migrate-command.js';
import { registerOutboxCommand } from './outbox-command.js';
import { registerStatsCommand } from './stats-command.js';

/**
 * Runs the `idem` command line with `argv` (without node and script) and resolves to its exit
 * code. Never throws: every failure is printed to stderr with what to do about it.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const program = new Command('idem')
    .description('Operate Idem: exactly-once effects for RocketMQ consumers on Postgres.')
    .option('--database-url <url>', 'Postgres connection string (default: $DATABASE_URL)')
    .option('--schema <name>', "Postgres schema of Idem's tables", DEFAULT_SCHEMA)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout(text.trimEnd()),
      writeErr: (text) => io.stderr(text.trimEnd()),
    });
  registerMigrateCommand(program, io);
  registerCleanupCommand(program, io);
  registerDeadLettersCommand(program, io);
  registerStatsCommand(program, io);
  registerDoctorCommand(program, io);
  registerGroupsCommand(program, io);
  registerOutboxCommand(program, io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    }
    if (error instanceof CliUsageError) {
      io.stderr(`idem: ${error.message}`);
      return EXIT_USAGE;
    }
    if (error instanceof IdemError && error.code === 'INVALID_CONFIGURATION') {
      io.stderr(`idem: ${error.message}`);
      return EXIT_USAGE;
    }
    io.stderr(`idem: ${describeFailure(error)}`);
    return EXIT_FAILED;
  }
}

function describeFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  if (error instanceof IdemError && code === 'DATABASE_UNAVAILABLE' && error.cause instanceof Error) {
    return `cannot reach Postgres (${error.cause.message}): check --database-url / DATABASE_URL and that the server is running`;
  }
  if (code === 'ECONNREFUSED' || /connect|timeout exceeded/i.test(message)) {
    return `cannot reach Postgres (${message}): check --database-url / DATABASE_URL and that the server is running`;
  }
  if (code === '28P01' || code === '28000') {
    return `Postgres refused the credentials (${message}): check the user and password in the database URL`;
  }
  return message;
}
