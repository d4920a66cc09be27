// The chaos tests count a message as settled when its consumer printed `S ...` before acking it.
// That holds only if a printed line reaches the parent even when the child is SIGKILLed right
// after: a line Node still holds in the child's memory is lost with it while the ack stands (a
// CI run reported 26 acked messages as "never settled" so). This burst outruns the parent's
// reads, as a consumer on a loaded machine does.
import { expect, it } from 'vitest';
import { startFixtureProcess } from '../../../test-support/fixture-process/start-fixture-process.js';

it('holds no event line in the child once printEvent returned, however far the parent lags', async () => {
  const burst = 20_000;
  let settledLines = 0;
  let held: number | undefined;
  const child = await startFixtureProcess({
    script: new URL('./fixtures/event-burst-process.ts', import.meta.url),
    packageDir: new URL('..', import.meta.url),
    env: { IDEM_TEST_BURST: String(burst) },
    onLine: (line) => {
      if (line.startsWith('S processed ')) settledLines += 1;
      else if (line.startsWith('held ')) held = Number(line.slice('held '.length));
    },
  });
  const exit = await child.exited;
  await expect.poll(() => held, { timeout: 30_000 }).toBeDefined();
  expect(exit).toEqual({ code: 0, signal: null });
  expect(held).toBe(0);
  expect(settledLines).toBe(burst);
});
