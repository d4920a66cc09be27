import { Consumer, type HandlerContext, Subscribe } from '@idem/core';
import { sql } from 'kysely';
import type { EffectTables } from './effects-database.js';

/** Behaviour switches the tests flip while messages flow. */
export interface HandlerControls {
  /** Keys whose handler throws (until removed). */
  readonly failingKeys: Set<string>;
  /** Milliseconds each handler sleeps inside its transaction. */
  delayMs: number;
  calls: number;
}

/**
 * Writes one effect row per message through `ctx.trx`. The class names no consumer group, so
 * one class (even one instance) can serve several consumers, each under its own group.
 */
@Consumer()
export class OrderHandlers {
  readonly controls: HandlerControls = { failingKeys: new Set(), delayMs: 0, calls: 0 };

  @Subscribe({ topic: 'orders', decode: 'text' })
  async onOrder(_body: string, ctx: HandlerContext<EffectTables>): Promise<void> {
    this.controls.calls += 1;
    await ctx.trx
      .insertInto('effects')
      .values({
        key: ctx.idempotencyKey,
        transport: ctx.message.transport,
        message_group: ctx.message.messageGroup ?? null,
        attempt: ctx.attempt,
      })
      .execute();
    if (this.controls.delayMs > 0)
      await sql`select pg_sleep(${this.controls.delayMs / 1000})`.execute(ctx.trx);
    if (this.controls.failingKeys.has(ctx.idempotencyKey)) {
      throw new Error(`handler fails for ${ctx.idempotencyKey}`);
    }
  }
}

/** A JSON topic: a body that is not JSON is poison. */
@Consumer()
export class PaymentHandlers {
  @Subscribe<{ readonly amount: number }>({ topic: 'payments', decode: 'json' })
  async onPayment(_body: { readonly amount: number }, ctx: HandlerContext<EffectTables>): Promise<void> {
    await ctx.trx
      .insertInto('effects')
      .values({
        key: ctx.idempotencyKey,
        transport: ctx.message.transport,
        message_group: null,
        attempt: ctx.attempt,
      })
      .execute();
  }
}
