import { fileURLToPath } from 'node:url';
import { type ConsumerProcess, startConsumerProcess } from '@idem/testing';

/** A consumer running in a child process (test/fixtures/consumer-process.ts). */
export type ChildConsumer = ConsumerProcess;

const defaultScript = fileURLToPath(new URL('../fixtures/consumer-process.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

/** Options of {@link startChildConsumer}. */
export interface ChildConsumerOptions {
  /** Called with each complete stdout line as it arrives (the event lines of IDEM_TEST_EVENTS=1). */
  readonly onLine?: (line: string) => void;
  /** Another service script to run (test/fixtures/*.ts); it must print `ready` too. */
  readonly script?: string;
}

/** Starts the fixture (or `options.script`) with tsx (decorators) and workspace sources; resolves once it consumes. */
export async function startChildConsumer(
  env: Record<string, string>,
  options: ChildConsumerOptions = {},
): Promise<ChildConsumer> {
  return await startConsumerProcess({
    script: options.script ?? defaultScript,
    nodeArgs: ['--conditions=@idem/source', '--import', 'tsx'],
    cwd: packageDir,
    env,
    ...(options.onLine === undefined
      ? {}
      : // Event lines are many; output() keeps only the rest.
        { onLine: options.onLine, keepLine: (line: string) => !/^[RSA] /.test(line) }),
  });
}
