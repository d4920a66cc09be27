import 'reflect-metadata';
import { Consumer, type HandlerContext, Subscribe } from '@idem/core';
import { describe, expect, it } from 'vitest';
import { IdemTransaction } from '../src/index.js';

@Consumer({ group: 'g' })
class Handlers {
  readonly seen: boolean[] = [];
  constructor(private readonly transaction: IdemTransaction) {}

  @Subscribe({ topic: 't' })
  async handle(_body: unknown, ctx: HandlerContext): Promise<string> {
    await Promise.resolve();
    this.seen.push(this.transaction.context() === ctx);
    return this.helper();
  }

  helper(): string {
    return this.transaction.active ? 'inside' : 'outside';
  }
}

describe('IdemTransaction', () => {
  const fakeContext = { idempotencyKey: 'k' } as unknown as HandlerContext;

  it('gives the running handler context to code the handler awaits, with this bound to the provider', async () => {
    const transaction = new IdemTransaction();
    const handlers = new Handlers(transaction);
    const bound = transaction.bind(handlers);
    expect(await bound.handle({}, fakeContext)).toBe('inside');
    expect(handlers.seen).toEqual([true]);
    expect(bound.constructor).toBe(Handlers);
  });

  it('leaves methods without @Subscribe untouched', () => {
    const transaction = new IdemTransaction();
    expect(transaction.bind(new Handlers(transaction)).helper()).toBe('outside');
  });

  it('throws INVALID_CONFIGURATION outside a handler instead of writing outside the transaction', () => {
    const transaction = new IdemTransaction();
    expect(transaction.active).toBe(false);
    expect(() => transaction.trx()).toThrow(expect.objectContaining({ code: 'INVALID_CONFIGURATION' }));
  });
});
