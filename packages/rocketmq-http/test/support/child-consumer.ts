import type { ConsumerProcess } from '@idem/testing';
import { startFixtureProcess } from '../../../../test-support/fixture-process/start-fixture-process.js';

/** Starts test/fixtures/consumer-process.ts (an HTTP consumer service); resolves once it consumes. */
export async function startChildConsumer(env: Record<string, string>): Promise<ConsumerProcess> {
  return await startFixtureProcess({
    script: new URL('../fixtures/consumer-process.ts', import.meta.url),
    packageDir: new URL('../..', import.meta.url),
    env,
  });
}
