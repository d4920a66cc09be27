import { describe, expect, it } from 'vitest';
import { classifyDatabaseError, classifyMessageDataError } from '../src/classify-database-error.js';
import { IdemError } from '../src/errors.js';

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

describe('classifyMessageDataError', () => {
  it.each([
    ['22021', 'invalid byte sequence for encoding "UTF8": 0x00'],
    ['22P05', 'unsupported Unicode escape sequence'],
    ['22003', 'integer out of range'],
    ['54000', 'index row size 4024 exceeds btree version 4 maximum 2704'],
  ])('treats SQLSTATE %s (%s) as a permanent MESSAGE_DATA_REJECTED', (code, message) => {
    const error = Object.assign(new Error(message), { code });
    expect(classifyMessageDataError(error)).toMatchObject({
      code: 'MESSAGE_DATA_REJECTED',
      retryable: false,
      cause: error,
    });
    expect(classifyDatabaseError(error)).toBeUndefined();
  });

  it.each(['23505', '42P01', '40001', '57P01', '54001'])('leaves SQLSTATE %s alone', (code) => {
    expect(classifyMessageDataError(pgError(code))).toBeUndefined();
  });
});
