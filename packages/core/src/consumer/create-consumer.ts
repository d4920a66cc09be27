import { createProcessor, type Processor, type ProcessorOptions } from '../create-processor.js';
import { type Logger, silentLogger } from '../logger.js';
import { createRedactingLogger } from '../observability/create-redacting-logger.js';
import type { ConsumerHealth } from './consumer-health.js';
import { type ConsumerLoopOptions, resolveConsumerLoopOptions } from './consumer-loop-options.js';
import { type ConsumerProducerOptions, consumerOutboxOption } from './consumer-outbox.js';
import { createConsumerRuntime } from './consumer-runtime.js';
import type { MessageSource } from './message-source.js';

/**
 * The options every Idem consumer takes, whatever the transport: the processor's (database,
 * handlers, policies, hooks), the loop's (concurrency, mode, shutdown...) and the outbox
 * `producer`. An adapter's options extend this with its connection options only, so an option
 * added here reaches every transport and the Nest module.
 */
export interface IdemConsumerOptions<DB = unknown>
  extends ProcessorOptions<DB>,
    ConsumerLoopOptions,
    ConsumerProducerOptions {}

/** A consumer of any transport: what `createTcpConsumer`, `createHttpConsumer` and {@link createConsumer} return. */
export interface IdemConsumer {
  /** The processor the consumer dispatches through (its consumer group, subscriptions). */
  readonly processor: Processor;
  /**
   * Checks Postgres and Idem's schema version, connects and starts consuming. Rejects with a
   * coded error saying what is wrong: `SCHEMA_NOT_MIGRATED` (run `idem migrate`),
   * `DATABASE_UNAVAILABLE` (under `onDatabaseUnavailableAtStart: 'fail'`; by default it waits
   * for Postgres), `INVALID_CONFIGURATION` or `BROKER_UNAVAILABLE` from the transport.
   */
  start(): Promise<void>;
  /**
   * Stops receiving, finishes and acks in-flight messages within `shutdownTimeoutMs`, and closes
   * every connection so the process can exit. Safe to call more than once.
   */
  stop(): Promise<void>;
  health(): ConsumerHealth;
}

/** Options of {@link createConsumer}: an adapter's source beside the options every consumer takes. */
export interface CreateConsumerOptions<DB, Receipt> extends IdemConsumerOptions<DB> {
  /**
   * The broker side, or a function building it from the processor (whose `consumerGroup` and
   * `subscriptions` the source subscribes to) and the consumer's logger (secrets redacted).
   * Called once, after every option was checked.
   */
  readonly source:
    | MessageSource<Receipt>
    | ((processor: Processor, logger: Logger) => MessageSource<Receipt>);
  /**
   * The adapter's secrets (access key secret, token): removed from every line the consumer, its
   * processor and its source log, whatever carried them there (a client's error, a message key).
   */
  readonly secrets?: readonly string[];
  /** Receives running at once. Default one per subscribed topic. */
  readonly receivers?: number;
  /** The most messages one receive of this source can return; a larger `batchSize` is refused. */
  readonly maxBatchSize?: number;
}

/**
 * Creates a consumer on any {@link MessageSource}: the one factory behind every adapter, so each
 * transport checks the same options the same way (`INVALID_CONFIGURATION` naming the option) and
 * runs the same loop: receive, dispatch with exactly-once effects, ack after commit, pause while
 * Postgres is down, ride out broker outages, hand committed outbox rows to `producer`, stop
 * gracefully.
 *
 * @example
 * ```ts
 * import { createConsumer, type MessageSource } from '@idem/core/adapter';
 *
 * declare const source: MessageSource<string>; // an adapter's broker side
 * const consumer = createConsumer({ source, consumerGroup: 'billing', db, handlers: [new InvoiceHandlers()] });
 * await consumer.start();
 * ```
 */
export function createConsumer<DB, Receipt>(options: CreateConsumerOptions<DB, Receipt>): IdemConsumer {
  const limits = options.maxBatchSize === undefined ? {} : { maxBatchSize: options.maxBatchSize };
  // Checked before anything is built, so a bad option fails the same way on every transport.
  const loop = resolveConsumerLoopOptions(options, limits);
  const logger = createRedactingLogger(options.logger ?? silentLogger, options.secrets ?? []);
  const processor = createProcessor({ ...options, logger });
  const source = typeof options.source === 'function' ? options.source(processor, logger) : options.source;
  const runtime = createConsumerRuntime({
    ...loop,
    ...limits,
    source,
    processor,
    logger,
    // One receiver per topic by default: a receive long-polls one topic on both RocketMQ APIs.
    receivers: options.receivers ?? Math.max(1, processor.subscriptions.length),
    ...consumerOutboxOption(options, processor, logger),
  });
  return {
    processor,
    start: () => runtime.start(),
    stop: () => runtime.stop(),
    health: () => runtime.health(),
  };
}
