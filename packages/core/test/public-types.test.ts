// Type-level tests of the public generics, as a service author writes them against the entries.
// `pnpm typecheck` compiles this file: every `expectTypeOf` must hold and every
// `@ts-expect-error` must meet an error (an unused one fails the build, TS2578). At run time the
// invalid options are also handed to the real factories, which must refuse them too: a value
// that slips past the types (plain JavaScript, a config file) fails the same way.
import {
  Consumer,
  createDatabase,
  createProcessor,
  type DispatchResult,
  defineIdemConfig,
  type HandlerContext,
  type IdemConsumerOptions,
  type IdemError,
  type InboundMessage,
  type ProcessorOptions,
  type ProcessorPolicyOptions,
  Subscribe,
  type SubscribeOptions,
} from '@idem/core';
import { type CreateConsumerOptions, createConsumer, type MessageSource } from '@idem/core/adapter';
import type { Kysely, Transaction } from 'kysely';
import { afterAll, describe, expect, expectTypeOf, inject, it } from 'vitest';
import { z } from 'zod';

interface Database {
  invoices: { order_id: string; amount: number };
}

interface Order {
  orderId: string;
  amount: number;
}

@Consumer()
class InvoiceHandlers {
  @Subscribe<Order>({ topic: 'orders', tag: 'created' })
  async onOrderCreated(order: Order, ctx: HandlerContext<Database>): Promise<void> {
    await ctx.trx.insertInto('invoices').values({ order_id: order.orderId, amount: order.amount }).execute();
  }
}

// Built lazily: no test here needs a connection, every factory refuses its options first.
const db = createDatabase<Database>({ connectionString: inject('databaseUrl') });
afterAll(async () => {
  await db.destroy();
});

/** What a factory throws for an invalid option: a coded error naming it. */
function invalidOption(name: string): unknown {
  return expect.objectContaining({
    code: 'INVALID_CONFIGURATION',
    message: expect.stringContaining(`${name} must be`),
  });
}

describe('HandlerContext<DB>', () => {
  it("types ctx.trx with the service's own database", () => {
    expectTypeOf<HandlerContext<Database>['trx']>().toEqualTypeOf<Transaction<Database>>();
    expectTypeOf<HandlerContext['trx']>().toEqualTypeOf<Transaction<unknown>>();
    expectTypeOf<HandlerContext<Database>['message']>().toEqualTypeOf<InboundMessage>();
    expectTypeOf<HandlerContext<Database>['idempotencyKey']>().toEqualTypeOf<string>();
  });

  it('rejects a write to a table or column the database does not have', () => {
    const write = async (ctx: HandlerContext<Database>): Promise<void> => {
      // @ts-expect-error: no such table in Database.
      await ctx.trx.insertInto('invoice').values({ order_id: 'o-1', amount: 1 }).execute();
      // @ts-expect-error: amount is a number.
      await ctx.trx.insertInto('invoices').values({ order_id: 'o-1', amount: '1' }).execute();
      // @ts-expect-error: an outbox message needs a topic.
      await ctx.send({ body: '{}' });
    };
    expectTypeOf(write).parameter(0).toEqualTypeOf<HandlerContext<Database>>();
  });
});

describe('@Subscribe<Body>', () => {
  it('passes the declared body type to the key function and the decoder', () => {
    const options: SubscribeOptions<Order> = {
      topic: 'orders',
      key: (message, body) => {
        expectTypeOf(message).toEqualTypeOf<InboundMessage>();
        expectTypeOf(body).toEqualTypeOf<Order>();
        return body.orderId;
      },
      decode: (bytes) => JSON.parse(bytes.toString('utf8')) as Order,
    };
    expectTypeOf(Subscribe<Order>)
      .parameter(0)
      .toEqualTypeOf<SubscribeOptions<Order>>();
    expectTypeOf(options.key).toEqualTypeOf<
      ((message: InboundMessage, body: Order) => string | undefined) | undefined
    >();
  });

  it("infers the body type from a Standard Schema's output", () => {
    Subscribe({
      topic: 'orders',
      schema: z.object({ orderId: z.string(), amount: z.number() }),
      key: (_message, body) => {
        expectTypeOf(body).toEqualTypeOf<{ orderId: string; amount: number }>();
        return body.orderId;
      },
    });
  });

  it('rejects a schema, a decoder or a key that disagrees with the declared body', () => {
    // @ts-expect-error: the schema's output is not an Order.
    Subscribe<Order>({ topic: 'orders', schema: z.object({ id: z.number() }) });
    // @ts-expect-error: the decoder returns a number, not an Order.
    Subscribe<Order>({ topic: 'orders', decode: () => 42 });
    // @ts-expect-error: `yaml` is not a decoder.
    Subscribe<Order>({ topic: 'orders', decode: 'yaml' });
    // @ts-expect-error: Order has no id.
    Subscribe<Order>({ topic: 'orders', key: (_message, body) => body.id });
    // @ts-expect-error: the topic is required.
    Subscribe<Order>({ tag: 'created' });
    expectTypeOf(Subscribe<Order>).returns.toEqualTypeOf<MethodDecorator>();
  });
});

describe('processor options', () => {
  it('infers DB from the kysely instance and returns a processor of typed results', () => {
    expectTypeOf<ProcessorOptions<Database>['db']>().toEqualTypeOf<Kysely<Database>>();
    expectTypeOf<ProcessorOptions<Database>>().toExtend<ProcessorPolicyOptions>();
    const build = () => createProcessor({ db, handlers: [new InvoiceHandlers()], consumerGroup: 'billing' });
    expectTypeOf(build).returns.toHaveProperty('dispatch');
    expectTypeOf<ReturnType<ReturnType<typeof build>['dispatch']>>().toEqualTypeOf<Promise<DispatchResult>>();
  });

  it('narrows a result by its outcome', () => {
    const judge = (result: DispatchResult): string => {
      if (result.outcome === 'dead-lettered' || result.outcome === 'failed') {
        expectTypeOf(result.error).toEqualTypeOf<IdemError>();
        return result.error.code;
      }
      // @ts-expect-error: only failures carry an error.
      return result.error.code;
    };
    expectTypeOf(judge).returns.toEqualTypeOf<string>();
  });

  it('refuses policy values outside their unions, in the types and at run time', () => {
    const handlers = [new InvoiceHandlers()];
    const billing = { db, handlers, consumerGroup: 'billing' };
    // @ts-expect-error: 'retry' is not a payload mismatch policy.
    expect(() => createProcessor({ ...billing, onPayloadMismatch: 'retry' })).toThrow(
      invalidOption('onPayloadMismatch'),
    );
    // @ts-expect-error: 'drop' is not a message group dead-letter policy.
    expect(() => createProcessor({ ...billing, onMessageGroupDeadLetter: 'drop' })).toThrow(
      invalidOption('onMessageGroupDeadLetter'),
    );
    // @ts-expect-error: maxAttempts is a number.
    expect(() => createProcessor({ ...billing, maxAttempts: '17' })).toThrow(invalidOption('maxAttempts'));
  });

  it('takes the same policy options in idem.config.js as in the processor', () => {
    expectTypeOf(defineIdemConfig).parameter(0).toExtend<ProcessorPolicyOptions>();
    defineIdemConfig({
      consumerGroup: 'billing',
      handlers: () => [new InvoiceHandlers()],
      // @ts-expect-error: the same union as the processor's option.
      onMessageGroupDeadLetter: 'drop',
    });
  });
});

describe('consumer options', () => {
  it("extend the processor's options, so every transport takes each processor option", () => {
    expectTypeOf<IdemConsumerOptions<Database>>().toExtend<ProcessorOptions<Database>>();
    expectTypeOf<CreateConsumerOptions<Database, string>>().toExtend<IdemConsumerOptions<Database>>();
    expectTypeOf<IdemConsumerOptions<Database>['mode']>().toEqualTypeOf<'single' | 'batch' | undefined>();
  });

  it('refuses loop option values of the wrong type, in the types and before any source is built', () => {
    const base = {
      db,
      handlers: [new InvoiceHandlers()],
      consumerGroup: 'billing',
      // Called only after every option passed its check.
      source: (): MessageSource<string> => {
        throw new Error('the source was built although an option was invalid');
      },
    };
    // @ts-expect-error: 'parallel' is not a dispatch mode.
    expect(() => createConsumer({ ...base, mode: 'parallel' })).toThrow(invalidOption('mode'));
    // @ts-expect-error: concurrency is a number.
    expect(() => createConsumer({ ...base, concurrency: '16' })).toThrow(invalidOption('concurrency'));
    // @ts-expect-error: shutdownTimeoutMs is a number of milliseconds.
    expect(() => createConsumer({ ...base, shutdownTimeoutMs: '30s' })).toThrow(
      invalidOption('shutdownTimeoutMs'),
    );
    // @ts-expect-error: 'retry' is neither 'wait' nor 'fail'.
    expect(() => createConsumer({ ...base, onDatabaseUnavailableAtStart: 'retry' })).toThrow(
      invalidOption('onDatabaseUnavailableAtStart'),
    );
  });
});
