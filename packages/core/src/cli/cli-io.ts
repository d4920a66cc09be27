/** Where the CLI writes and what environment it reads; injectable so tests run it in-process. */
export interface CliIo {
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Exit codes: 0 done, 1 the operation failed (database, migration), 2 the call was wrong. */
export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Raised by commands for a usage or configuration mistake (exit code 2). */
export class CliUsageError extends Error {
  override readonly name = 'CliUsageError';
}
