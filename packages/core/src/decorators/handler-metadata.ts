/**
 * The only module that touches `Reflect`: decorators record plain metadata here under private
 * symbols, and the registry reads it back through the typed readers below.
 */
import 'reflect-metadata';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { BodyDecoder } from '../decode-body.js';
import type { InboundMessage } from '../message.js';

/** Any class; decorators receive the constructor. */
// biome-ignore lint/complexity/noBannedTypes: class decorators are typed with Function by TypeScript itself.
export type AnyClass = Function;

const CONSUMER = Symbol('idem:consumer');
const SUBSCRIPTIONS = Symbol('idem:subscriptions');

/** Options of {@link Consumer}. */
export interface ConsumerOptions {
  /**
   * The consumer group whose idempotency scope this class belongs to. Optional: the processor's
   * or consumer's `consumerGroup` option applies when the class names none.
   */
  readonly group?: string;
}

/** Options of {@link Subscribe}. */
export interface SubscribeOptions<TBody = unknown> {
  /** The topic to consume. */
  readonly topic: string;
  /** RocketMQ tag expression: `*` (default), `created`, or `created || paid`. */
  readonly tag?: string;
  /**
   * Derives the idempotency key. Default: the first message key (RocketMQ's advice: put the
   * business key there), else the message id. Return a business identifier that is the same for
   * every re-send of the same business event.
   */
  readonly key?: (message: InboundMessage, body: TBody) => string | undefined;
  /** How to turn the body bytes into the handler's argument: `json` (default), `text`, `raw`, or a function. */
  readonly decode?: BodyDecoder<TBody>;
  /** Any Standard Schema (zod, valibot, arktype, ...) the decoded body must satisfy. */
  readonly schema?: StandardSchemaV1<unknown, TBody>;
  /**
   * Makes this a batch handler: the method receives every message of the dispatch that it
   * handles at once, as an array of `BatchMessage` (only those whose keys Idem claimed: no
   * duplicates), and one `BatchHandlerContext`, so it can write all their effects in one
   * statement. In single dispatch mode it receives an array of one. When it throws, all its
   * messages fail together and are then run one at a time, to find the one at fault.
   */
  readonly batch?: boolean;
}

/** What {@link Subscribe} records for one method. */
export interface SubscriptionMetadata {
  readonly methodName: string;
  readonly options: SubscribeOptions<unknown>;
}

/**
 * Marks a class as an Idem handler class. Instantiate it yourself (or with any DI container)
 * and pass the instance to a processor or consumer.
 */
export function Consumer(options: ConsumerOptions = {}): ClassDecorator {
  return (target) => {
    Reflect.defineMetadata(CONSUMER, { ...options }, target);
  };
}

/**
 * Subscribes a method of a {@link Consumer} class to a topic (and tag expression). The method
 * receives the decoded body and a {@link HandlerContext}; its writes through `ctx.trx` commit
 * atomically with the idempotency key. With `batch: true` it receives an array of
 * `BatchMessage` and a `BatchHandlerContext` instead.
 *
 * @example
 * ```ts
 * @Subscribe<OrderCreated>({ topic: 'orders', tag: 'created', batch: true })
 * async onOrders(orders: BatchMessage<OrderCreated>[], ctx: BatchHandlerContext<DB>) {
 *   await ctx.trx.insertInto('invoices')
 *     .values(orders.map(({ body, idempotencyKey }) => ({ key: idempotencyKey, amount: body.amount })))
 *     .execute();
 * }
 * ```
 */
export function Subscribe<TBody = unknown>(options: SubscribeOptions<TBody>): MethodDecorator {
  return (target, propertyKey) => {
    const existing = readSubscriptionsOwn(target.constructor);
    const entry: SubscriptionMetadata = {
      methodName: String(propertyKey),
      options: options as SubscribeOptions<unknown>,
    };
    Reflect.defineMetadata(SUBSCRIPTIONS, [...existing, entry], target.constructor);
  };
}

/** The {@link Consumer} options of a class, or `undefined` when it is not decorated. */
export function readConsumerMetadata(target: AnyClass): ConsumerOptions | undefined {
  return Reflect.getMetadata(CONSUMER, target) as ConsumerOptions | undefined;
}

/**
 * The {@link Subscribe} records of a class and its base classes; a subclass's record for a
 * method replaces its base class's record for the same method.
 */
export function readSubscriptionMetadata(target: AnyClass): readonly SubscriptionMetadata[] {
  const chain: AnyClass[] = [];
  for (let current: unknown = target; typeof current === 'function' && current !== Function.prototype; ) {
    chain.unshift(current);
    current = Object.getPrototypeOf(current);
  }
  const byMethod = new Map<string, SubscriptionMetadata>();
  for (const type of chain) {
    for (const entry of readSubscriptionsOwn(type)) byMethod.set(entry.methodName, entry);
  }
  return [...byMethod.values()];
}

/** True when the class is decorated with {@link Consumer}; what DI integrations discover by. */
export function isConsumerClass(target: AnyClass): boolean {
  return readConsumerMetadata(target) !== undefined;
}

function readSubscriptionsOwn(target: AnyClass): readonly SubscriptionMetadata[] {
  return (Reflect.getOwnMetadata(SUBSCRIPTIONS, target) as SubscriptionMetadata[] | undefined) ?? [];
}
