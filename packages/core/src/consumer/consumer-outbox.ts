import type { Kysely } from 'kysely';
import type { Logger } from '../logger.js';
import { createOutboxRelay, type OutboxRelay } from '../outbox/create-outbox-relay.js';
import type { OutboxRelayMetrics } from '../outbox/deliver-outbox-batch.js';
import type { MessageProducer } from '../outbox/message-producer.js';
import type { Processor } from '../processor/create-processor.js';
import type { DispatchResult } from '../processor/dispatch-result.js';

/** Options of {@link createConsumerOutbox}: what an adapter's `producer` option becomes. */
export interface ConsumerOutboxOptions<DB> {
  readonly db: Kysely<DB>;
  readonly producer: MessageProducer;
  readonly processor: Processor;
  readonly logger?: Logger;
  /** Counters of the relay: e.g. `createIdemMetrics(...).outboxRelay(schema)`. */
  readonly metrics?: OutboxRelayMetrics | undefined;
  /**
   * The slow poll for rows a crash left behind; committed rows are handed over at once.
   * Default 5000 ms.
   */
  readonly pollIntervalMs?: number;
}

/** The outbox option every consumer takes; adapters extend their options with it. */
export interface ConsumerProducerOptions {
  /**
   * Delivers what handlers send with `ctx.send`: each message's outbox rows go to this producer
   * right after its transaction commits (the ack does not wait for the sends), and a relay inside
   * the consumer delivers rows a crash left behind. The consumer starts and stops it. Without
   * it, rows wait for an outbox relay elsewhere (`createOutboxRelay`).
   */
  readonly producer?: MessageProducer | undefined;
  /** Counts the consumer's outbox sends: `createIdemMetrics(...).outboxRelay(schema)`. */
  readonly outboxMetrics?: OutboxRelayMetrics | undefined;
}

/**
 * The `outbox` option of the consumer runtime for an adapter's options: a relay on the
 * processor's schema when a producer is given, none otherwise.
 */
export function consumerOutboxOption<DB>(
  options: ConsumerProducerOptions & { readonly db: Kysely<DB> },
  processor: Processor,
  logger: Logger | undefined,
): { readonly outbox?: OutboxRelay } {
  if (options.producer === undefined) return {};
  return {
    outbox: createConsumerOutbox({
      db: options.db,
      producer: options.producer,
      processor,
      metrics: options.outboxMetrics,
      ...(logger === undefined ? {} : { logger }),
    }),
  };
}

/**
 * The outbox relay a consumer runs: pass it as `createConsumerRuntime({ outbox })`. It uses the
 * processor's schema, so it delivers the rows the consumer's handlers send.
 */
export function createConsumerOutbox<DB>(options: ConsumerOutboxOptions<DB>): OutboxRelay {
  return createOutboxRelay({
    db: options.db,
    producer: options.producer,
    schema: options.processor.schema,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
    ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
    ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
  });
}

/**
 * Hands the outbox rows of committed messages to the relay at once (it wakes and claims them);
 * the caller does not wait for the sends, so acks are not delayed by the broker's producer side.
 */
export function handOffCommitted(
  outbox: OutboxRelay | undefined,
  settled: readonly { readonly result: DispatchResult }[],
): void {
  if (outbox !== undefined && settled.some(({ result }) => result.outcome === 'processed')) outbox.wake();
}
