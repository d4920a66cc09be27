import { describe, expect, it } from 'vitest';
import { classifyDatabaseError, IdemError } from '../src/index.js';

function pgError(code: string): Error {
  return Object.assign(new Error(`sqlstate ${code}`), { code });
}

describe('classifyDatabaseError', () => {
  it.each([
    ['40001', 'TRANSACTION_CONFLICT'],
    ['40P01', 'TRANSACTION_CONFLICT'],
    ['55P03', 'LOCK_TIMEOUT'],
    ['57P01', 'DATABASE_UNAVAILABLE'],
    ['08006', 'DATABASE_UNAVAILABLE'],
    ['53300', 'DATABASE_UNAVAILABLE'],
  ])('treats SQLSTATE %s as retryable %s', (code, expected) => {
    expect(classifyDatabaseError(pgError(code))).toMatchObject({ code: expected, retryable: true });
  });

  it.each(['23505', '22P02', '42703', '57014'])(
    'leaves SQLSTATE %s to the statement that raised it',
    (code) => {
      expect(classifyDatabaseError(pgError(code))).toBeUndefined();
    },
  );

  it('treats lost connections and refused sockets as DATABASE_UNAVAILABLE', () => {
    expect(classifyDatabaseError(new Error('Connection terminated unexpectedly'))).toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
    });
    expect(
      classifyDatabaseError(Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })),
    ).toMatchObject({
      code: 'DATABASE_UNAVAILABLE',
    });
  });

  it('leaves ordinary errors and non-errors alone, and keeps retryable IdemErrors', () => {
    expect(classifyDatabaseError(new Error('payment declined'))).toBeUndefined();
    expect(classifyDatabaseError('boom')).toBeUndefined();
    const retryable = new IdemError('DATABASE_UNAVAILABLE', 'down', { retryable: true });
    expect(classifyDatabaseError(retryable)).toBe(retryable);
  });
});
