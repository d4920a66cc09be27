import type { IdemConsumer, IdemConsumerOptions, LogFields, Logger } from '@idem/core';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { createTcpConsumer, type TcpConsumer, type TcpConsumerOptions } from '../src/index.js';
import { useTcpFixture } from './support/tcp-fixture.js';

const SECRET = 'tcp-options-test-secret-Hq42v';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (fields: LogFields, message: string) => lines.push(`${message} ${JSON.stringify(fields)}`);
  return { lines, debug: record, info: record, warn: record, error: record };
}

describe('createTcpConsumer options', () => {
  const fixture = useTcpFixture();

  it.each([
    ['an unknown mode', { mode: 'bulk' as 'batch' }, /option mode must be 'single' or 'batch'/],
    ['a negative shutdown timeout', { shutdownTimeoutMs: -1 }, /option shutdownTimeoutMs must be/],
    [
      'an unknown message-group policy',
      { onMessageGroupDeadLetter: 'skip' as 'continue' },
      /onMessageGroupDeadLetter/,
    ],
    ['no endpoint', { endpoints: undefined as unknown as string }, /option endpoint must be one "host:port"/],
    [
      'an access key without its secret',
      { accessKeyId: 'AK' },
      /option accessKeySecret must be a non-empty string/,
    ],
    [
      'both spellings of the credentials',
      { accessKeyId: 'AK', accessKeySecret: SECRET, credentials: { accessKey: 'AK', accessSecret: SECRET } },
      /not both/,
    ],
  ] satisfies [string, Partial<TcpConsumerOptions>, RegExp][])(
    'rejects %s with INVALID_CONFIGURATION naming the option',
    (_name, override, message) => {
      expect(() => fixture().create(override)).toThrow(
        expect.objectContaining({
          code: 'INVALID_CONFIGURATION',
          message: expect.stringMatching(message) as string,
        }),
      );
      expect(() => fixture().create(override)).not.toThrow(SECRET);
    },
  );

  it('takes endpoint and access keys, the names the HTTP adapter uses, and the old spellings still', async () => {
    const { peer, start, publish, database } = fixture();
    const renamed = await start({
      endpoint: peer.endpoints,
      endpoints: undefined as unknown as string,
      accessKeyId: 'AK',
      accessKeySecret: SECRET,
    });
    const deprecated = await start({ credentials: { accessKey: 'AK', accessSecret: SECRET } });
    publish(4);
    await expect.poll(() => database.effectCount(), { timeout: 30_000 }).toBe(4);
    await Promise.all([renamed.stop(), deprecated.stop()]);
  });

  it('keeps the access key secret out of every line it logs, whatever carried it there', async () => {
    const { start, publish } = fixture();
    const logger = recordingLogger();
    const consumer = await start({ accessKeyId: 'AK', accessKeySecret: SECRET, logger });
    // The message key holds the secret: the consumer's per-message lines name the key.
    publish(1, { prefix: SECRET });
    await expect.poll(() => consumer.health().outcomes.processed, { timeout: 30_000 }).toBe(1);
    await consumer.stop();
    expect(logger.lines.filter((line) => line.includes(SECRET))).toEqual([]);
    expect(logger.lines.some((line) => line.includes('***-0'))).toBe(true);
  });

  it('takes every option every Idem consumer takes, and is an IdemConsumer', () => {
    expectTypeOf<keyof IdemConsumerOptions>().toExtend<keyof TcpConsumerOptions>();
    expectTypeOf<TcpConsumer>().toEqualTypeOf<IdemConsumer>();
    expectTypeOf(createTcpConsumer).returns.toEqualTypeOf<IdemConsumer>();
  });
});
