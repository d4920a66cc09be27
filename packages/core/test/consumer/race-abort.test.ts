import { type EventEmitter, getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { sleep } from '../../src/consumer/backoff.js';
import { raceAbort, waitOrAbort } from '../../src/consumer/race-abort.js';

describe('waits on a long-lived stop signal', () => {
  it('leave no abort listener behind once they end', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 1000; i += 1) {
      await sleep(0, controller.signal);
      await raceAbort(Promise.resolve(i), controller.signal, () => -1);
      await waitOrAbort(controller.signal, (wake) => wake());
    }
    expect(getEventListeners(controller.signal as unknown as EventEmitter, 'abort')).toHaveLength(0);
  });

  it('resolve with the abort value as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const never = new Promise<string>(() => {});
    const raced = raceAbort(never, controller.signal, () => 'stopped');
    controller.abort();
    await expect(raced).resolves.toBe('stopped');
    expect(getEventListeners(controller.signal as unknown as EventEmitter, 'abort')).toHaveLength(0);
  });

  it('resolve at once on a signal that already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(raceAbort(Promise.reject(new Error('late')), controller.signal, () => 0)).resolves.toBe(0);
    await expect(sleep(60_000, controller.signal)).resolves.toBeUndefined();
  });
});
