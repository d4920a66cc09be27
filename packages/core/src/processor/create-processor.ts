import { type Kysely, sql } from 'kysely';
import { checkSchemaVersion } from '../check-schema-version.js';
import { classifyOwnStatementError } from '../classify-database-error.js';
import { IdemError } from '../errors.js';
import { buildHandlerRegistry, type TopicSubscription } from '../handler-registry.js';
import { type Logger, silentLogger } from '../logger.js';
import type { InboundMessage } from '../message.js';
import type { DispatchInstrumentation } from '../observability/dispatch-instrumentation.js';
import { ROCKETMQ_DEFAULT_MAX_RETRIES } from '../operations/rocketmq-retry-defaults.js';
import { assertSchemaName, DEFAULT_SCHEMA } from '../schema-name.js';
import type { IdemTables } from '../store/idem-tables.js';
import { dispatchMessages } from './dispatch-messages.js';
import type { DispatchResult } from './dispatch-result.js';
import type { ProcessorPolicyOptions } from './processor-policy-options.js';
import type { ProcessorSettings } from './processor-settings.js';

/** Options of {@link createProcessor}: the database, the handlers, the policies and the hooks. */
export interface ProcessorOptions<DB = unknown> extends ProcessorPolicyOptions {
  /** Your kysely instance on Postgres; handlers write through `ctx.trx`, a transaction of it. */
  readonly db: Kysely<DB>;
  /** Instances of `@Consumer` classes. */
  readonly handlers: readonly object[];
  /** The consumer group (idempotency scope) when the classes name none. */
  readonly consumerGroup?: string;
  readonly logger?: Logger;
  /** Called with every result, for metrics and tracing. Must not throw. */
  readonly onResult?: (result: DispatchResult, message: InboundMessage) => void;
  /**
   * Runs around each message's dispatch (each handler run in batch mode) and sees its result:
   * the seam for tracing, e.g. `createTracingInstrumentation()`.
   */
  readonly instrumentation?: DispatchInstrumentation;
}

/** Runs deliveries through handlers with exactly-once effects. Built by {@link createProcessor}. */
export interface Processor {
  readonly consumerGroup: string;
  /** The Postgres schema of Idem's tables. */
  readonly schema: string;
  /** What the consumer must subscribe to: one tag expression per topic. */
  readonly subscriptions: readonly TopicSubscription[];
  /**
   * Handles one delivery in one transaction. Resolves to its outcome; never rejects for a handler
   * or database error.
   */
  dispatch(message: InboundMessage): Promise<DispatchResult>;
  /**
   * Handles several deliveries in one transaction; a failing handler fails only its own message
   * (see `batchStrategy`). One result per message, in order.
   */
  dispatchBatch(messages: readonly InboundMessage[]): Promise<DispatchResult[]>;
  /**
   * Checks that Postgres answers and Idem's tables exist: `undefined` when all is well, else the
   * retryable {@link IdemError} saying what is wrong. The probe for pausing and resuming
   * consumption, and for readiness.
   */
  checkDatabase(): Promise<IdemError | undefined>;
  /**
   * Checks that Idem's schema is at the version this `@idem/core` needs (every migration applied,
   * every table present): `undefined` when it is, else a `SCHEMA_NOT_MIGRATED` {@link IdemError}
   * naming the schema and what is missing, or `DATABASE_UNAVAILABLE` when Postgres does not
   * answer. Consumers run it once, in `start()`.
   */
  checkSchemaVersion(): Promise<IdemError | undefined>;
}

/**
 * Creates a processor: the transport-free heart of Idem. Each delivery's idempotency key is
 * inserted in the same transaction as the handler's writes, so the writes happen exactly once
 * per key and consumer group, however often the broker delivers.
 *
 * Validates the handlers at once and throws a coded {@link IdemError} on any misconfiguration.
 *
 * @example
 * ```ts
 * const processor = createProcessor({ db, handlers: [new OrderHandlers()], consumerGroup: 'billing' });
 * const result = await processor.dispatch(message);
 * if (result.outcome !== 'failed') await ack(message);
 * ```
 */
export function createProcessor<DB>(options: ProcessorOptions<DB>): Processor {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertSchemaName(schema);
  const lockTimeoutMs = options.lockTimeoutMs ?? 5000;
  const maxAttempts = options.maxAttempts ?? ROCKETMQ_DEFAULT_MAX_RETRIES + 1;
  if (!(lockTimeoutMs > 0))
    throw invalidOption('lockTimeoutMs', lockTimeoutMs, 'a positive number of milliseconds');
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1)
    throw invalidOption('maxAttempts', maxAttempts, 'an integer >= 1');
  const onPayloadMismatch = options.onPayloadMismatch ?? 'dead-letter';
  if (onPayloadMismatch !== 'dead-letter' && onPayloadMismatch !== 'ignore') {
    throw invalidOption('onPayloadMismatch', onPayloadMismatch, "'dead-letter' or 'ignore'");
  }
  const onMessageGroupDeadLetter = options.onMessageGroupDeadLetter ?? 'quarantine';
  if (onMessageGroupDeadLetter !== 'quarantine' && onMessageGroupDeadLetter !== 'continue') {
    throw invalidOption('onMessageGroupDeadLetter', onMessageGroupDeadLetter, "'quarantine' or 'continue'");
  }
  const batchStrategy = options.batchStrategy ?? 'optimistic';
  if (batchStrategy !== 'optimistic' && batchStrategy !== 'savepoints') {
    throw invalidOption('batchStrategy', batchStrategy, "'optimistic' or 'savepoints'");
  }
  const registry = buildHandlerRegistry(options.handlers, options.consumerGroup);
  const db = options.db as unknown as Kysely<IdemTables>;
  const settings: ProcessorSettings = {
    db,
    schema,
    registry,
    lockTimeoutMs,
    maxAttempts,
    onPayloadMismatch,
    onMessageGroupDeadLetter,
    batchStrategy,
    logger: options.logger ?? silentLogger,
  };
  const { instrumentation } = options;
  const info = { consumerGroup: registry.consumerGroup };
  const dispatchOne = async (message: InboundMessage): Promise<DispatchResult> => {
    const [result] = await dispatchMessages(settings, [message]);
    if (result === undefined) throw new Error('dispatchMessages returned no result for one message');
    return result;
  };
  const report = (result: DispatchResult, message: InboundMessage): void => {
    try {
      instrumentation?.onResult(result, message, info);
    } catch (error) {
      settings.logger.error({ err: error }, 'instrumentation.onResult threw; results keep flowing');
    }
    try {
      options.onResult?.(result, message);
    } catch (error) {
      settings.logger.error({ err: error }, 'onResult threw; results keep flowing');
    }
  };
  return {
    consumerGroup: registry.consumerGroup,
    schema,
    subscriptions: registry.subscriptions,
    async dispatch(message) {
      const result =
        instrumentation === undefined
          ? await dispatchOne(message)
          : await instrumentation.around(message, () => dispatchOne(message), info);
      report(result, message);
      return result;
    },
    async dispatchBatch(messages) {
      // Each handler runs inside `around`: the batch shares one transaction, not one context.
      const results = await dispatchMessages(
        settings,
        messages,
        instrumentation === undefined
          ? undefined
          : (message, run) => instrumentation.around(message, run, info),
      );
      results.forEach((result, index) => {
        const message = messages[index];
        if (message !== undefined) report(result, message);
      });
      return results;
    },
    async checkDatabase() {
      try {
        await db
          .withoutPlugins()
          .withSchema(schema)
          .selectFrom('processed_keys')
          .select(sql`1`.as('one'))
          .limit(1)
          .execute();
        return undefined;
      } catch (error) {
        return classifyOwnStatementError(error, schema);
      }
    },
    checkSchemaVersion: () => checkSchemaVersion(db.withoutPlugins(), schema),
  };
}

function invalidOption(name: string, value: unknown, expected: string): IdemError {
  return new IdemError(
    'INVALID_CONFIGURATION',
    `option ${name} must be ${expected}, got ${JSON.stringify(value)}`,
  );
}
