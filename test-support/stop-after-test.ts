import { onTestFinished } from 'vitest';

/**
 * Returns `service` and stops it when the current test finishes, passed or failed. Finished
 * hooks run last registered first, so a client stops before the broker it was started on.
 */
export function stopAfterTest<T extends { stop(): Promise<unknown> }>(service: T): T {
  onTestFinished(async () => {
    await service.stop();
  });
  return service;
}
