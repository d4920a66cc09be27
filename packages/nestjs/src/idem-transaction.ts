import { AsyncLocalStorage } from 'node:async_hooks';
import { type HandlerContext, IdemError, type OutboundMessage } from '@idem/core';
import { readSubscriptionMetadata } from '@idem/core/integration';
import { Injectable } from '@nestjs/common';
import type { Transaction } from 'kysely';

/**
 * The running handler's transaction, injectable anywhere: inside an Idem handler (and anything it
 * awaits) `trx()` is the same transaction as `ctx.trx`, so a service can write through it
 * without the transaction being passed down. Outside a handler it throws, never falls back to a
 * non-transactional connection: a write that silently escaped the transaction would break
 * exactly-once.
 */
@Injectable()
export class IdemTransaction {
  readonly #storage = new AsyncLocalStorage<HandlerContext<unknown>>();

  /** The current handler's transaction; throws `INVALID_CONFIGURATION` outside a handler. */
  trx<DB = unknown>(): Transaction<DB> {
    return this.context<DB>().trx;
  }

  /** The current handler's whole context (message, idempotency key, attempt, group). */
  context<DB = unknown>(): HandlerContext<DB> {
    const context = this.#storage.getStore();
    if (context === undefined) {
      throw new IdemError(
        'INVALID_CONFIGURATION',
        'IdemTransaction was used outside an Idem handler: only code a @Subscribe method runs (and awaits) has a transaction',
      );
    }
    return context as HandlerContext<DB>;
  }

  /**
   * The current handler's `ctx.send`: the message is written to the outbox in the handler's
   * transaction and goes out iff it commits. Throws `INVALID_CONFIGURATION` outside a handler.
   */
  async send(message: OutboundMessage): Promise<void> {
    await this.context().send(message);
  }

  /** True while an Idem handler is running in the calling async context. */
  get active(): boolean {
    return this.#storage.getStore() !== undefined;
  }

  /**
   * A view of a handler instance whose `@Subscribe` methods run inside this accessor's context.
   * The view keeps the instance's class (the registry reads its decorators) and calls the
   * methods on the instance itself, so `this` inside a handler is the Nest provider.
   */
  bind<T extends object>(handler: T): T {
    const methods = new Set(readSubscriptionMetadata(handler.constructor).map((entry) => entry.methodName));
    const storage = this.#storage;
    return new Proxy(handler, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver);
        if (typeof property !== 'string' || !methods.has(property) || typeof value !== 'function')
          return value;
        return (body: unknown, ctx: HandlerContext<unknown>): unknown =>
          storage.run(ctx, () => Reflect.apply(value, target, [body, ctx]));
      },
    });
  }
}
