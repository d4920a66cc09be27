import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { BodyDecoder } from './decode-body.js';
import {
  readConsumerMetadata,
  readSubscriptionMetadata,
  type SubscribeOptions,
} from './decorators/handler-metadata.js';
import { IdemError } from './errors.js';
import type { InboundMessage } from './message.js';
import type { BatchHandlerContext, BatchMessage, HandlerContext } from './processor/handler-context.js';
import {
  formatTagExpression,
  matchesTag,
  parseTagExpression,
  type TagExpression,
  tagExpressionsOverlap,
  unionTagExpressions,
} from './tag-expression.js';

/** One handler method bound to its instance, with everything the processor needs to run it. */
export interface Route {
  /** `ClassName.methodName`, stored with each processed key. */
  readonly handlerName: string;
  readonly topic: string;
  readonly tags: TagExpression;
  readonly decode: BodyDecoder;
  readonly schema: StandardSchemaV1 | undefined;
  readonly key: ((message: InboundMessage, body: unknown) => string | undefined) | undefined;
  /** Runs the handler for one message (a batch handler gets an array of one). */
  readonly invoke: (body: unknown, ctx: HandlerContext<unknown>) => Promise<unknown>;
  /** Runs a batch handler for several messages at once; `undefined` for a handler of one. */
  readonly invokeBatch:
    | ((messages: readonly BatchMessage[], ctx: BatchHandlerContext<unknown>) => Promise<unknown>)
    | undefined;
}

/** What a consumer must subscribe to at the broker: one tag expression per topic. */
export interface TopicSubscription {
  readonly topic: string;
  /** The union of the handlers' tag expressions, in RocketMQ syntax (`*` or `A||B`). */
  readonly tagExpression: string;
}

/** The validated handlers of one consumer group. */
export interface HandlerRegistry {
  readonly consumerGroup: string;
  readonly routes: readonly Route[];
  readonly subscriptions: readonly TopicSubscription[];
  /** The route for a message's topic and tag, if any handler takes it. */
  resolve(topic: string, tag: string | undefined): Route | undefined;
}

/**
 * Reads the decorators of handler instances once, validates everything, and fails fast with a
 * coded {@link IdemError} naming the class and method at fault.
 *
 * @param handlers - instances of classes decorated with `@Consumer` and `@Subscribe`.
 * @param consumerGroup - the group when the classes name none; must agree with those that do.
 */
export function buildHandlerRegistry(handlers: readonly object[], consumerGroup?: string): HandlerRegistry {
  if (handlers.length === 0) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      'no handlers given: pass instances of your @Consumer classes in `handlers`',
    );
  }
  const group = resolveConsumerGroup(handlers, consumerGroup);
  const routes = handlers.flatMap((instance) => routesOf(instance));
  rejectOverlappingRoutes(routes, group);

  const byTopic = new Map<string, Route[]>();
  for (const route of routes) byTopic.set(route.topic, [...(byTopic.get(route.topic) ?? []), route]);
  const subscriptions = [...byTopic].map(([topic, topicRoutes]) => ({
    topic,
    tagExpression: formatTagExpression(unionTagExpressions(topicRoutes.map((route) => route.tags))),
  }));

  return {
    consumerGroup: group,
    routes,
    subscriptions,
    resolve(topic, tag) {
      return byTopic.get(topic)?.find((route) => matchesTag(route.tags, tag));
    },
  };
}

function resolveConsumerGroup(handlers: readonly object[], consumerGroup: string | undefined): string {
  let group = consumerGroup;
  let groupSource = 'the consumerGroup option';
  for (const instance of handlers) {
    const name = className(instance);
    const metadata = readConsumerMetadata(instance.constructor);
    if (metadata === undefined) {
      throw new IdemError(
        'INVALID_HANDLER',
        `${name} is not a handler class: decorate it with @Consumer() (and its methods with @Subscribe), and pass an instance, not the class`,
      );
    }
    if (metadata.group === undefined) continue;
    if (group !== undefined && group !== metadata.group) {
      throw new IdemError(
        'CONSUMER_GROUP_CONFLICT',
        `${name} declares consumer group "${metadata.group}" but ${groupSource} is "${group}": one consumer serves one group; create one consumer per group`,
      );
    }
    group = metadata.group;
    groupSource = `@Consumer of ${name}`;
  }
  if (group === undefined || group.trim() === '') {
    throw new IdemError(
      'CONSUMER_GROUP_MISSING',
      'no consumer group: set `consumerGroup` in the options or `@Consumer({ group })` on the handler classes',
    );
  }
  return group;
}

function routesOf(instance: object): Route[] {
  const name = className(instance);
  const subscriptions = readSubscriptionMetadata(instance.constructor);
  if (subscriptions.length === 0) {
    throw new IdemError(
      'INVALID_HANDLER',
      `${name} has no @Subscribe methods: subscribe at least one method to a topic`,
    );
  }
  return subscriptions.map(({ methodName, options }) => {
    const handlerName = `${name}.${methodName}`;
    validateOptions(handlerName, options);
    const method = (instance as Record<string, unknown>)[methodName];
    if (typeof method !== 'function') {
      throw new IdemError('INVALID_HANDLER', `${handlerName} is not a method: @Subscribe goes on methods`);
    }
    let tags: TagExpression;
    try {
      tags = parseTagExpression(options.tag);
    } catch (error) {
      throw new IdemError('INVALID_HANDLER', `${handlerName}: ${(error as Error).message}`, { cause: error });
    }
    return {
      handlerName,
      topic: options.topic,
      tags,
      decode: options.decode ?? 'json',
      schema: options.schema,
      key: options.key,
      ...(options.batch === true ? batchInvokers(instance, method) : singleInvokers(instance, method)),
    };
  });
}

// biome-ignore lint/complexity/noBannedTypes: any user method; called with the arguments its decorator promises.
type Method = Function;

function singleInvokers(instance: object, method: Method): Pick<Route, 'invoke' | 'invokeBatch'> {
  return {
    invoke: async (body, ctx) => await method.call(instance, body, ctx),
    invokeBatch: undefined,
  };
}

function batchInvokers(instance: object, method: Method): Pick<Route, 'invoke' | 'invokeBatch'> {
  const invokeBatch = async (messages: readonly BatchMessage[], ctx: BatchHandlerContext<unknown>) =>
    await method.call(instance, messages, ctx);
  return {
    invoke: async (body, ctx) =>
      await invokeBatch(
        [{ body, message: ctx.message, idempotencyKey: ctx.idempotencyKey, send: ctx.send }],
        {
          trx: ctx.trx,
          consumerGroup: ctx.consumerGroup,
        },
      ),
    invokeBatch,
  };
}

function validateOptions(handlerName: string, options: SubscribeOptions<unknown>): void {
  if (options.batch !== undefined && typeof options.batch !== 'boolean') {
    throw new IdemError(
      'INVALID_HANDLER',
      `${handlerName}: \`batch\` must be true or false, got ${JSON.stringify(options.batch)}`,
    );
  }
  if (typeof options.topic !== 'string' || options.topic.trim() === '') {
    throw new IdemError(
      'INVALID_HANDLER',
      `${handlerName} has no topic: write @Subscribe({ topic: 'orders' })`,
    );
  }
  if (options.key !== undefined && typeof options.key !== 'function') {
    throw new IdemError(
      'INVALID_HANDLER',
      `${handlerName}: \`key\` must be a function (message, body) => string, got ${typeof options.key}`,
    );
  }
  const decode = options.decode;
  if (decode !== undefined && typeof decode !== 'function' && !['json', 'text', 'raw'].includes(decode)) {
    throw new IdemError(
      'INVALID_HANDLER',
      `${handlerName}: \`decode\` must be 'json', 'text', 'raw' or a function, got ${JSON.stringify(decode)}`,
    );
  }
  if (options.schema !== undefined && typeof options.schema?.['~standard']?.validate !== 'function') {
    throw new IdemError(
      'INVALID_HANDLER',
      `${handlerName}: \`schema\` must implement Standard Schema (zod 3.24+, valibot 1, arktype 2, ...)`,
    );
  }
}

function rejectOverlappingRoutes(routes: readonly Route[], group: string): void {
  routes.forEach((route, index) => {
    for (const other of routes.slice(index + 1)) {
      if (route.topic === other.topic && tagExpressionsOverlap(route.tags, other.tags)) {
        throw new IdemError(
          'DUPLICATE_ROUTE',
          `${route.handlerName} and ${other.handlerName} both handle topic "${route.topic}" with tags "${formatTagExpression(
            route.tags,
          )}" and "${formatTagExpression(other.tags)}" in consumer group "${group}": give each a distinct tag`,
        );
      }
    }
  });
}

function className(instance: object): string {
  if (typeof instance === 'function') return `class ${(instance as { name?: string }).name ?? '(anonymous)'}`;
  return instance.constructor?.name || '(anonymous class)';
}
