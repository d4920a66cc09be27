import type { ConsumerProcess } from '@idem/testing';
import { startFixtureProcess } from '../../../../test-support/fixture-process/start-fixture-process.js';

/** Options of {@link startChildConsumer}. */
export interface ChildConsumerOptions {
  /** Called with each complete stdout line as it arrives (the event lines of IDEM_TEST_EVENTS=1). */
  readonly onLine?: (line: string) => void;
  /** Another service script to run (test/fixtures/*.ts); it must print `ready` too. */
  readonly script?: string;
}

/** Starts test/fixtures/consumer-process.ts (a TCP consumer service), or `options.script`; resolves once it consumes. */
export async function startChildConsumer(
  env: Record<string, string>,
  options: ChildConsumerOptions = {},
): Promise<ConsumerProcess> {
  return await startFixtureProcess({
    script: options.script ?? new URL('../fixtures/consumer-process.ts', import.meta.url),
    packageDir: new URL('../..', import.meta.url),
    env,
    ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
  });
}
