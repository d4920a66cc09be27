import { fileURLToPath } from 'node:url';
import { type ConsumerProcess, startConsumerProcess } from '@idem/testing';

/** A consumer running in a child process (test/fixtures/consumer-process.ts). */
export type ChildConsumer = ConsumerProcess;

const fixture = fileURLToPath(new URL('../fixtures/consumer-process.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

/** Starts the fixture with tsx (decorators) and workspace sources; resolves once it consumes. */
export async function startChildConsumer(env: Record<string, string>): Promise<ChildConsumer> {
  return await startConsumerProcess({
    script: fixture,
    nodeArgs: ['--conditions=@idem/source', '--import', 'tsx'],
    cwd: packageDir,
    env,
  });
}
