import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { IdemError } from '../../src/errors.js';
import { createRedactingLogger } from '../../src/observability/create-redacting-logger.js';
import { redactSecrets, secretsInUrl } from '../../src/observability/redact-secrets.js';

const ACCESS_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCY';
const PASSWORD = 'p@ss:w/rd!';
const DATABASE_URL = `postgres://idem:${encodeURIComponent(PASSWORD)}@db.internal:5432/app`;

/** A pino logger writing JSON lines into memory, exactly as it would to stdout. */
function pinoInMemory() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), output: () => lines.join('') };
}

describe('createRedactingLogger', () => {
  it('keeps every given secret out of what pino writes, in messages, fields, nested values and errors', () => {
    const { logger, output } = pinoInMemory();
    const redacting = createRedactingLogger(logger, [ACCESS_SECRET, ...secretsInUrl(DATABASE_URL)]);
    const cause = new Error(`signature mismatch for secret ${ACCESS_SECRET}`);

    redacting.warn({ databaseUrl: DATABASE_URL }, `connecting to ${DATABASE_URL}`);
    redacting.error(
      {
        err: new IdemError('BROKER_UNAVAILABLE', `auth failed with ${ACCESS_SECRET}`, { cause }),
        request: {
          headers: { authorization: `Credential=AK/${ACCESS_SECRET}` },
          attempts: [1, ACCESS_SECRET],
        },
        endpoint: new URL(DATABASE_URL),
      },
      'the broker refused the credentials',
    );
    redacting.debug({ deep: { a: { b: { c: { d: { password: PASSWORD } } } } } }, `raw ${PASSWORD}`);
    redacting.info({}, 'no secrets here');

    const text = output();
    for (const secret of [ACCESS_SECRET, PASSWORD, encodeURIComponent(PASSWORD)]) {
      expect(text).not.toContain(secret);
    }
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatchObject({
      msg: 'connecting to postgres://idem:***@db.internal:5432/app',
      databaseUrl: 'postgres://idem:***@db.internal:5432/app',
    });
    expect(lines[1]).toMatchObject({
      // pino's error serializer appends the cause's message.
      err: { message: 'auth failed with ***: signature mismatch for secret ***', code: 'BROKER_UNAVAILABLE' },
      request: { headers: { authorization: 'Credential=AK/***' }, attempts: [1, '***'] },
      endpoint: 'postgres://idem:***@db.internal:5432/app',
    });
    expect(lines[2]).toMatchObject({ msg: 'raw ***', deep: { a: { b: { c: { d: { password: '***' } } } } } });
    expect(lines[3]).toMatchObject({ msg: 'no secrets here' });
  });

  it('passes the logger through untouched when there is no secret to hide', () => {
    const { logger } = pinoInMemory();
    expect(createRedactingLogger(logger, ['', ...secretsInUrl('postgres://idem@db/app')])).toBe(logger);
  });
});

describe('redactSecrets', () => {
  it('never modifies its input and survives cycles', () => {
    const input: Record<string, unknown> = { token: 'abc-SECRET-def', list: ['SECRET'] };
    input.self = input;
    const output = redactSecrets(input, ['SECRET']) as Record<string, unknown>;
    expect(output).toEqual({ token: 'abc-***-def', list: ['***'], self: '[Circular]' });
    expect(input.token).toBe('abc-SECRET-def');
  });

  it('cuts what is too deep or too long to walk instead of letting it through', () => {
    let deep: unknown = 'SECRET';
    for (let level = 0; level < 20; level += 1) deep = { next: deep };
    const long = Array.from({ length: 1000 }, () => 'SECRET');
    const output = JSON.stringify(redactSecrets({ deep, long }, ['SECRET']));
    expect(output).not.toContain('SECRET');
    expect(output).toContain('[Truncated]');
    expect(output).toContain('[Truncated 800 items]');
  });

  it('replaces a secret that contains another secret whole', () => {
    expect(redactSecrets('key=abc123', ['abc', 'abc123'])).toBe('key=***');
  });
});

describe('secretsInUrl', () => {
  it('returns the password as written and decoded, and nothing for a URL without one', () => {
    expect(secretsInUrl(DATABASE_URL)).toEqual([encodeURIComponent(PASSWORD), PASSWORD]);
    expect(secretsInUrl('postgres://idem@db/app')).toEqual([]);
    expect(secretsInUrl('not a url')).toEqual([]);
  });
});
