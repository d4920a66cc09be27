/**
 * `@idem/core`: exactly-once effects on Postgres for at-least-once message consumers.
 *
 * This root entry is what a service author uses: the decorators and {@link HandlerContext},
 * processor and consumer options, the errors to catch, migrations, observability, the outbox,
 * and the operations an operator runs from code (retention, dead letters, doctor). Two subpaths
 * serve other authors: `@idem/core/adapter` (a broker transport: `createConsumer` on a
 * `MessageSource`, the retrying producer) and `@idem/core/integration` (a framework hosting
 * handler classes: the decorators' metadata readers and the handler registry).
 *
 * @packageDocumentation
 * @module @idem/core
 */
export type { DatabaseUnavailableAtStart } from './consumer/check-database-at-start.js';
export type { ConsumerHealth, ConsumerStatus, DependencyHealth } from './consumer/consumer-health.js';
export type { ConsumerEvent, ConsumerLoopOptions, DispatchMode } from './consumer/consumer-loop-options.js';
export type { ConsumerProducerOptions } from './consumer/consumer-outbox.js';
export type { IdemConsumer, IdemConsumerOptions } from './consumer/create-consumer.js';
export { createDatabase, type DatabaseOptions } from './create-database.js';
export { createProcessor, type Processor, type ProcessorOptions } from './create-processor.js';
export type { DeadLetter, DeadLetterResolution, DeadLetterSummary } from './dead-letters/dead-letter.js';
export {
  type PurgeDeadLettersOptions,
  type PurgeReport,
  purgeDeadLetters,
} from './dead-letters/purge-dead-letters.js';
export {
  type GetDeadLetterOptions,
  getDeadLetter,
  type ListDeadLettersOptions,
  listDeadLetters,
} from './dead-letters/read-dead-letters.js';
export {
  type ReplayDeadLettersOptions,
  type ReplayItem,
  type ReplayOutcome,
  type ReplayReport,
  replayDeadLetters,
} from './dead-letters/replay-dead-letters.js';
export type { BodyDecoder } from './decode-body.js';
export {
  Consumer,
  type ConsumerOptions,
  Subscribe,
  type SubscribeOptions,
} from './decorators/handler-metadata.js';
export type {
  DeadLetteredResult,
  DispatchOutcome,
  DispatchResult,
  DuplicateKind,
  DuplicateResult,
  FailedResult,
  ProcessedResult,
} from './dispatch-result.js';
export { DeadLetterError, IdemError, type IdemErrorCode, type IdemErrorOptions } from './errors.js';
export type { HandlerContext } from './handler-context.js';
export type { TopicSubscription } from './handler-registry.js';
export { type LogFields, type Logger, silentLogger } from './logger.js';
export type { InboundMessage } from './message.js';
export {
  type MigrateOptions,
  type MigrationState,
  type MigrationStep,
  migrateDown,
  migrateToLatest,
  migrateUp,
  migrationStatus,
} from './migrate.js';
export { migrationSql } from './migration-sql.js';
// Observability: tracing, Prometheus metrics, secret redaction, health endpoints.
export {
  createIdemMetrics,
  type HealthReporter,
  type IdemMetrics,
  type IdemMetricsHooks,
  type IdemMetricsOptions,
  type TableStatsOptions,
} from './observability/create-idem-metrics.js';
export { createRedactingLogger } from './observability/create-redacting-logger.js';
export {
  createTracingInstrumentation,
  type TracingInstrumentationOptions,
} from './observability/create-tracing-instrumentation.js';
export type { DispatchInfo, DispatchInstrumentation } from './observability/dispatch-instrumentation.js';
export type { ConsumerVerdict, ProbeVerdict } from './observability/judge-consumers.js';
export type { PromClient } from './observability/load-prom-client.js';
export { logFieldsJson } from './observability/log-fields-json.js';
export { redactSecrets, secretsInUrl } from './observability/redact-secrets.js';
export {
  type HealthServer,
  type HealthServerConsumer,
  type HealthServerOptions,
  type MetricsRegistry,
  startHealthServer,
} from './observability/start-health-server.js';
// Operations: retention, the dedup window check, dead letters, stats, doctor, CLI config.
export {
  checkDedupWindow,
  DEFAULT_DEDUP_WINDOW_MS,
  type DedupWindowCheck,
  type DedupWindowCheckOptions,
  type DedupWindowWarning,
} from './operations/check-dedup-window.js';
export {
  type CleanupOptions,
  type CleanupReport,
  type CleanupResult,
  type CleanupSkipped,
  cleanupProcessedMessages,
} from './operations/cleanup-processed-messages.js';
export {
  type ConsumerGroupKeys,
  collectIdemStats,
  type IdemStats,
  type IdemStatsOptions,
  type OpenDeadLetterCount,
} from './operations/collect-idem-stats.js';
export { defineIdemConfig, type IdemConfig, type IdemConfigContext } from './operations/idem-config.js';
export {
  listQuarantinedGroups,
  type QuarantinedGroup,
  type ReleaseReport,
  releaseMessageGroup,
} from './operations/message-group-quarantine.js';
export {
  type ListOutboxOptions,
  listOutbox,
  type OutboxChangeReport,
  type OutboxEntry,
  purgeOutboxRows,
  retryOutboxRows,
} from './operations/outbox-operations.js';
export {
  ROCKETMQ_DEFAULT_MAX_RETRIES,
  ROCKETMQ_DEFAULT_MESSAGE_RETENTION_MS,
  ROCKETMQ_RETRY_BACKOFF_MS,
  rocketMqRetryHorizonMs,
} from './operations/rocketmq-retry-defaults.js';
export {
  type DoctorCheck,
  type DoctorOptions,
  type DoctorReport,
  runDoctor,
} from './operations/run-doctor.js';
export {
  findMissingRuntimePrivileges,
  type MissingPrivilege,
  type RuntimePrivilegeCheck,
  runtimeGrantStatements,
} from './operations/runtime-privileges.js';
export { type Retention, type RetentionOptions, startRetention } from './operations/start-retention.js';
export {
  createOutboxRelay,
  type OutboxRelay,
  type OutboxRelayHealth,
  type OutboxRelayMetrics,
  type OutboxRelayOptions,
} from './outbox/create-outbox-relay.js';
export type { MessageProducer, SendOptions, SendOutcome } from './outbox/message-producer.js';
export type { OutboundMessage, ProducerMessage } from './outbox/outbound-message.js';
export { type SendInTransactionOptions, sendInTransaction } from './outbox/send-in-transaction.js';
export { defaultIdempotencyKey } from './prepare-message.js';
export type { ProcessorPolicyOptions } from './processor-policy-options.js';
export type { MessageGroupDeadLetterPolicy, PayloadMismatchPolicy } from './processor-runtime.js';
export type {
  DeadLettersTable,
  IdemTables,
  OutboxStatus,
  OutboxTable,
  ProcessedMessagesTable,
} from './store/idem-tables.js';
export type { OutboxStats } from './store/read-outbox-stats.js';
