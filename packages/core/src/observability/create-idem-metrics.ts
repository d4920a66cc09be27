import type { Registry } from 'prom-client';
import type { ConsumerHealth } from '../consumer/consumer-health.js';
import type { ConsumerEvent } from '../consumer/consumer-loop-options.js';
import { IdemError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { InboundMessage } from '../message.js';
import type { OutboxRelayMetrics } from '../outbox/deliver-outbox-batch.js';
import type { DispatchResult } from '../processor/dispatch-result.js';
import { assertSchemaName, DEFAULT_SCHEMA } from '../schema-name.js';
import { defineIdemMetrics } from './idem-metric-set.js';
import { loadPromClient, type PromClient } from './load-prom-client.js';
import { type TableStatsOptions, tableStatsSource } from './table-stats-source.js';

export type { TableStatsOptions } from './table-stats-source.js';

/** Options of {@link createIdemMetrics}. */
export interface IdemMetricsOptions<DB = unknown> {
  /** The registry to register in. Default prom-client's global `register`. */
  readonly registry?: Registry;
  /** Prefix of every metric name. Default `idem_`. */
  readonly prefix?: string;
  /** Idem's tables, for row count, oldest key age and open dead letters, read at scrape. */
  readonly tables?: TableStatsOptions<DB>;
  /** The prom-client module to use. Default: the one `@idem/core` resolves. */
  readonly promClient?: PromClient;
  /** Where a failing table statistics read is logged (once per outage). */
  readonly logger?: Logger;
}

/** The hooks of one consumer group: `onResult` for the processor, `onEvent` for the consumer. */
export interface IdemMetricsHooks {
  /** Pass as the processor's (or consumer's) `onResult`: outcomes, duplicates, durations. */
  readonly onResult: (result: DispatchResult, message: InboundMessage) => void;
  /** Pass as the consumer's `onEvent`: messages received and ack failures. */
  readonly onEvent: (event: ConsumerEvent) => void;
}

/** Anything with a consumer's `health()`: the adapters' consumers, `createConsumerRuntime()`. */
export interface HealthReporter {
  health(): ConsumerHealth;
}

/** Idem's Prometheus metrics. Built by {@link createIdemMetrics}. */
export interface IdemMetrics {
  readonly registry: Registry;
  /** The hooks that count one consumer group's messages. */
  hooks(consumerGroup: string): IdemMetricsHooks;
  /**
   * Reports a consumer's `health()` at every scrape: broker connected, database reachable,
   * ready, in flight, seconds since the last message. Returns a function that stops watching.
   */
  watchConsumer(consumerGroup: string, consumer: HealthReporter): () => void;
  /**
   * Sets a consumer group's backlog (messages waiting at the broker) from wherever you read it
   * (the broker's admin API, a console exporter); Idem's clients cannot see it.
   */
  recordBacklog(consumerGroup: string, messages: number): void;
  /**
   * The counters of the outbox relays on `schema` (default `idem`): pass as `createOutboxRelay`'s
   * `metrics` or a consumer's `outboxMetrics`. Counts sent rows, failed sends and the relay lag.
   */
  outboxRelay(schema?: string): OutboxRelayMetrics;
  /** Refreshes what is read at scrape (health, table statistics) now; a scrape does it by itself. */
  collect(): Promise<void>;
}

/**
 * Creates Idem's Prometheus metrics: every label has a bounded set of values (consumer group,
 * topic, outcome, error code, schema), never message ids or keys. Counters and histograms come
 * from the hooks; health and table gauges are read when scraped, the table statistics with a
 * short timeout and cached for a few seconds so a scrape never loads Postgres.
 *
 * Needs `prom-client` (an optional peer dependency). Create it once per registry.
 *
 * @example
 * ```ts
 * const metrics = createIdemMetrics({ tables: { db } });
 * const { onResult, onEvent } = metrics.hooks('billing');
 * const consumer = createTcpConsumer({ endpoints, consumerGroup: 'billing', db, handlers, onResult, onEvent });
 * metrics.watchConsumer('billing', consumer);
 * ```
 */
export function createIdemMetrics<DB>(options: IdemMetricsOptions<DB> = {}): IdemMetrics {
  const client = options.promClient ?? loadPromClient();
  const registry = options.registry ?? client.register;
  const prefix = options.prefix ?? 'idem_';
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(prefix)) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `metric prefix ${JSON.stringify(prefix)} is not a valid name start`,
    );
  }
  if (registry.getSingleMetric(`${prefix}messages_total`) !== undefined) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `Idem metrics are already registered in this registry under prefix "${prefix}": create them once and share the object`,
    );
  }
  const watched = new Map<string, { consumer: HealthReporter; since: number }>();
  const tables =
    options.tables === undefined
      ? undefined
      : tableStatsSource(options.tables, options.logger ?? silentLogger);

  const refreshHealth = (): void => {
    m.brokerConnected.reset();
    m.databaseReachable.reset();
    m.consumerReady.reset();
    m.inFlight.reset();
    m.secondsSinceLastMessage.reset();
    for (const [group, { consumer, since }] of watched) {
      const health = consumer.health();
      const labels = { consumer_group: group };
      m.brokerConnected.set(labels, health.broker.reachable ? 1 : 0);
      m.databaseReachable.set(labels, health.database.reachable ? 1 : 0);
      m.consumerReady.set(labels, health.ready ? 1 : 0);
      m.inFlight.set(labels, health.inFlight);
      const last = health.lastMessageAt?.getTime() ?? since;
      m.secondsSinceLastMessage.set(labels, Math.max(0, (Date.now() - last) / 1000));
    }
  };

  const refreshTables = async (): Promise<void> => {
    if (tables === undefined) return;
    const labels = { schema: tables.schema };
    const stats = await tables.read();
    m.deadLettersUnresolved.reset();
    if (stats === undefined) {
      m.tableStatsUp.set(labels, 0);
      for (const gauge of [m.processedRows, m.oldestProcessedAge, m.outboxPending, m.outboxFailed]) {
        gauge.remove(labels);
      }
      m.outboxOldestPendingAge.remove(labels);
      m.outboxHeldGroups.remove(labels);
      return;
    }
    m.tableStatsUp.set(labels, 1);
    m.processedRows.set(labels, stats.processedRows);
    if (stats.oldestProcessedAgeSeconds === undefined) m.oldestProcessedAge.remove(labels);
    else m.oldestProcessedAge.set(labels, stats.oldestProcessedAgeSeconds);
    for (const [group, count] of stats.unresolvedDeadLetters) {
      m.deadLettersUnresolved.set({ ...labels, consumer_group: group }, count);
    }
    const { outbox } = stats;
    m.outboxPending.set(labels, outbox.pending);
    m.outboxFailed.set(labels, outbox.failed);
    m.outboxOldestPendingAge.set(labels, outbox.oldestPendingAgeSeconds ?? 0);
    m.outboxHeldGroups.set(labels, outbox.heldGroups);
  };

  const m = defineIdemMetrics(client, registry, prefix, { health: refreshHealth, tables: refreshTables });
  if (tables?.dedupWindowSeconds !== undefined) {
    m.dedupWindow.set({ schema: tables.schema }, tables.dedupWindowSeconds);
  }

  return {
    registry,
    hooks(consumerGroup) {
      return {
        onResult(result, message) {
          const labels = { consumer_group: consumerGroup, topic: message.topic };
          m.messages.inc({ ...labels, outcome: result.outcome });
          m.dispatchDuration.observe({ ...labels, outcome: result.outcome }, result.durationMs / 1000);
          if (message.deliveryAttempt > 1) m.redeliveries.inc(labels);
          if (message.bornAt !== undefined) {
            m.deliveryDelay.observe(labels, Math.max(0, (Date.now() - message.bornAt.getTime()) / 1000));
          }
          if (result.outcome === 'duplicate') {
            m.duplicates.inc({ ...labels, kind: result.duplicateKind.replace('-', '_') });
          } else if (result.outcome === 'dead-lettered') {
            m.deadLetters.inc({ ...labels, reason: result.error.code });
          } else if (result.outcome === 'failed') {
            m.failures.inc({ ...labels, reason: result.error.code });
          }
        },
        onEvent(event) {
          const labels = { consumer_group: consumerGroup };
          if (event.type === 'received') m.received.inc(labels, event.count);
          else if (event.type === 'ack-failed') m.ackFailures.inc(labels, event.count);
          // 'settled' repeats what onResult counted.
        },
      };
    },
    watchConsumer(consumerGroup, consumer) {
      if (watched.has(consumerGroup)) {
        throw new IdemError(
          'INVALID_CONFIGURATION',
          `a consumer of group "${consumerGroup}" is already watched; stop watching it first`,
        );
      }
      const entry = { consumer, since: Date.now() };
      watched.set(consumerGroup, entry);
      return () => {
        if (watched.get(consumerGroup) === entry) watched.delete(consumerGroup);
      };
    },
    recordBacklog(consumerGroup, messages) {
      m.backlog.set({ consumer_group: consumerGroup }, messages);
    },
    outboxRelay(schema = DEFAULT_SCHEMA) {
      assertSchemaName(schema);
      const labels = { schema };
      return {
        sent: (count) => m.outboxSent.inc(labels, count),
        failed: (count, permanent) =>
          m.outboxSendFailures.inc({ ...labels, kind: permanent ? 'failed' : 'retried' }, count),
        // The held groups are a gauge read from the table: it also drops when a group resumes.
        groupHeld: () => {},
        sentLag: (seconds) => m.outboxRelayLag.observe(labels, seconds),
      };
    },
    async collect() {
      refreshHealth();
      await refreshTables();
    },
  };
}
