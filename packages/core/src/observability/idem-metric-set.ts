import type { Registry } from 'prom-client';
import type { PromClient } from './load-prom-client.js';

/** Refreshers of the gauges whose values are read when scraped. */
export interface ScrapeRefreshers {
  readonly health: () => void;
  readonly tables: () => Promise<void>;
}

// Dispatches take milliseconds (one transaction) up to the lock timeout and slow handlers.
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// From the producer's send to the result: seconds when keeping up, hours behind a backlog.
const DELAY_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600];
// From an outbox row's write to the broker's confirmation: milliseconds after the hand-off,
// the poll interval after a crash, minutes to hours through a broker outage.
const RELAY_LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 5, 15, 60, 300, 3600];

/**
 * Registers every Idem metric in `registry` under `prefix`. The single list of names: the docs,
 * the alert rules and the dashboard are checked against it by a test.
 */
export function defineIdemMetrics(
  client: PromClient,
  registry: Registry,
  prefix: string,
  refresh: ScrapeRefreshers,
) {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new client.Counter({ name: prefix + name, help, labelNames, registers });
  const histogram = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets: number[],
  ) => new client.Histogram({ name: prefix + name, help, labelNames, buckets, registers });
  const gauge = <L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect?: () => void | Promise<void>,
  ) =>
    new client.Gauge({
      name: prefix + name,
      help,
      labelNames,
      registers,
      ...(collect === undefined ? {} : { collect }),
    });

  const message = ['consumer_group', 'topic'] as const;
  const group = ['consumer_group'] as const;
  const schema = ['schema'] as const;
  return {
    messages: counter('messages_total', 'Dispatch results by outcome.', [...message, 'outcome']),
    duplicates: counter('duplicates_total', 'Duplicates skipped, by kind (redelivery, producer_resend).', [
      ...message,
      'kind',
    ]),
    deadLetters: counter('dead_letters_total', 'Messages dead-lettered, by reason (error code).', [
      ...message,
      'reason',
    ]),
    failures: counter('failures_total', 'Dispatches that failed (left to redelivery), by reason.', [
      ...message,
      'reason',
    ]),
    redeliveries: counter('redeliveries_total', 'Dispatches of deliveries with attempt > 1.', message),
    dispatchDuration: histogram(
      'dispatch_duration_seconds',
      'Time to dispatch one message: claim, handler, commit.',
      [...message, 'outcome'],
      DURATION_BUCKETS,
    ),
    deliveryDelay: histogram(
      'delivery_delay_seconds',
      "Time from the producer's send (bornAt) to the dispatch result.",
      message,
      DELAY_BUCKETS,
    ),
    received: counter('received_messages_total', 'Deliveries received from the broker.', group),
    ackFailures: counter(
      'ack_failures_total',
      'Acks not confirmed after retries (left to redelivery).',
      group,
    ),
    brokerConnected: gauge('broker_connected', '1 while the broker answers, else 0.', group, refresh.health),
    databaseReachable: gauge(
      'database_reachable',
      '1 while Postgres answers, else 0 (consumption paused).',
      group,
      refresh.health,
    ),
    consumerReady: gauge(
      'consumer_ready',
      '1 while running with broker and database reachable.',
      group,
      refresh.health,
    ),
    inFlight: gauge('in_flight_messages', 'Deliveries received and not yet settled.', group, refresh.health),
    secondsSinceLastMessage: gauge(
      'seconds_since_last_message',
      'Seconds since the last delivery was received (or since watching began).',
      group,
      refresh.health,
    ),
    backlog: gauge('consumer_backlog_messages', 'Messages waiting at the broker, as last recorded.', group),
    tableStatsUp: gauge(
      'table_stats_up',
      '1 when the last table statistics read succeeded.',
      schema,
      refresh.tables,
    ),
    processedRows: gauge(
      'processed_messages_rows',
      'Rows of processed_keys (exact up to 100000, else estimated).',
      schema,
      refresh.tables,
    ),
    oldestProcessedAge: gauge(
      'processed_messages_oldest_age_seconds',
      'Age of the oldest processed key; cleanup keeps it below the dedup window.',
      schema,
      refresh.tables,
    ),
    deadLettersUnresolved: gauge(
      'dead_letters_unresolved',
      'Dead letters not yet replayed or purged.',
      [...schema, 'consumer_group'],
      refresh.tables,
    ),
    outboxPending: gauge(
      'outbox_pending_rows',
      'Outbox rows not yet confirmed by the broker (exact up to 100000).',
      schema,
      refresh.tables,
    ),
    outboxFailed: gauge(
      'outbox_failed_rows',
      'Outbox rows that failed for good and wait for idem outbox retry or purge.',
      schema,
      refresh.tables,
    ),
    outboxOldestPendingAge: gauge(
      'outbox_oldest_pending_age_seconds',
      'Age of the oldest pending outbox row (0 when none is pending).',
      schema,
      refresh.tables,
    ),
    outboxHeldGroups: gauge(
      'outbox_held_groups',
      'Message groups held behind a failed outbox row.',
      schema,
      refresh.tables,
    ),
    outboxSent: counter('outbox_sent_total', 'Outbox rows the broker confirmed, counted by relays.', schema),
    outboxSendFailures: counter(
      'outbox_send_failures_total',
      'Outbox sends that failed, by kind: retried (broker unreachable) or failed (refused for good).',
      [...schema, 'kind'],
    ),
    outboxRelayLag: histogram(
      'outbox_relay_lag_seconds',
      "Time from an outbox row's write to the broker's confirmation.",
      schema,
      RELAY_LAG_BUCKETS,
    ),
    dedupWindow: gauge(
      'dedup_window_seconds',
      'The configured dedup window (retention of processed keys).',
      schema,
    ),
  };
}

/** The metrics {@link defineIdemMetrics} registers. */
export type IdemMetricSet = ReturnType<typeof defineIdemMetrics>;
