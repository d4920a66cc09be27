import { fileURLToPath } from 'node:url';
import { type ConsumerProcess, startConsumerProcess } from '@idem/testing';

/** Options of {@link startFixtureProcess}. */
export interface FixtureProcessOptions {
  /** The service script (a package's test/fixtures/*.ts); it prints `ready` once it consumes. */
  readonly script: string | URL;
  /** The package the script belongs to: the process runs there, so its dependencies resolve. */
  readonly packageDir: string | URL;
  readonly env: Readonly<Record<string, string>>;
  /** Called with each complete stdout line as it arrives (the event lines of `printEvent`). */
  readonly onLine?: (line: string) => void;
}

/**
 * Starts one of this repo's fixture services with `startConsumerProcess` from `@idem/testing`:
 * through tsx (decorators) and on the workspace's TypeScript sources (`@idem/source`).
 * Resolves once it prints `ready`.
 */
export async function startFixtureProcess(options: FixtureProcessOptions): Promise<ConsumerProcess> {
  const path = (value: string | URL): string => (typeof value === 'string' ? value : fileURLToPath(value));
  return await startConsumerProcess({
    script: path(options.script),
    nodeArgs: ['--conditions=@idem/source', '--import', 'tsx'],
    cwd: path(options.packageDir),
    env: options.env,
    ...(options.onLine === undefined
      ? {}
      : // Event lines are many; output() keeps only the rest.
        { onLine: options.onLine, keepLine: (line: string) => !/^[RSA] /.test(line) }),
  });
}
