/**
 * `@idem/core`: exactly-once effects on Postgres for at-least-once message consumers.
 *
 * Transport-free: adapters (`@idem/rocketmq-tcp`, `@idem/rocketmq-http`) map broker messages to
 * {@link InboundMessage} and act on each {@link DispatchResult}.
 *
 * @packageDocumentation
 */
export { classifyDatabaseError } from './classify-database-error.js';
export { AckBatcher } from './consumer/ack-batcher.js';
export { type Backoff, createBackoff, sleep } from './consumer/backoff.js';
export type { DatabaseUnavailableAtStart } from './consumer/check-database-at-start.js';
export type { ConsumerHealth, ConsumerStatus, DependencyHealth } from './consumer/consumer-health.js';
export type {
  ConsumerEvent,
  ConsumerLoopLimits,
  ConsumerLoopOptions,
  DispatchMode,
  ResolvedConsumerLoopOptions,
} from './consumer/consumer-loop-options.js';
export { resolveConsumerLoopOptions } from './consumer/consumer-loop-options.js';
export {
  type ConsumerOutboxOptions,
  type ConsumerProducerOptions,
  consumerOutboxOption,
  createConsumerOutbox,
} from './consumer/consumer-outbox.js';
export {
  type ConsumerRuntime,
  type ConsumerRuntimeOptions,
  createConsumerRuntime,
} from './consumer/consumer-runtime.js';
export {
  type CreateConsumerOptions,
  createConsumer,
  type IdemConsumer,
  type IdemConsumerOptions,
} from './consumer/create-consumer.js';
export type { MessageSource, ReceivedMessage } from './consumer/message-source.js';
export { type OutageState, OutageTracker, type OutageTrackerTiming } from './consumer/outage-tracker.js';
export { raceAbort, waitOrAbort } from './consumer/race-abort.js';
export { raceTimeout } from './consumer/race-timeout.js';
export { createDatabase, type DatabaseOptions, redactConnectionString } from './create-database.js';
export { createProcessor, type Processor, type ProcessorOptions } from './create-processor.js';
export type { BodyDecoder } from './decode-body.js';
export {
  Consumer,
  type ConsumerOptions,
  isConsumerClass,
  readConsumerMetadata,
  readSubscriptionMetadata,
  Subscribe,
  type SubscribeOptions,
  type SubscriptionMetadata,
} from './decorators/handler-metadata.js';
export {
  type DeadLetteredResult,
  type DispatchOutcome,
  type DispatchResult,
  type DuplicateKind,
  type DuplicateResult,
  type FailedResult,
  type ProcessedResult,
  shouldAcknowledge,
} from './dispatch-result.js';
export { DeadLetterError, IdemError, type IdemErrorCode, type IdemErrorOptions, toError } from './errors.js';
export type { HandlerContext } from './handler-context.js';
export {
  buildHandlerRegistry,
  type HandlerRegistry,
  type Route,
  type TopicSubscription,
} from './handler-registry.js';
export type { LogFields, Logger } from './logger.js';
export { silentLogger } from './logger.js';
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
export { REDACTED, redactSecrets, secretsInUrl } from './observability/redact-secrets.js';
export {
  type HealthServer,
  type HealthServerConsumer,
  type HealthServerOptions,
  type MetricsRegistry,
  startHealthServer,
} from './observability/start-health-server.js';
// Operations: retention, the dedup window check, dead letters, stats, doctor, CLI config.
export { advisoryLockKey } from './operations/advisory-lock.js';
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
export {
  type DeadLetter,
  type DeadLetterResolution,
  type DeadLetterSummary,
  deadLetterToMessage,
} from './operations/dead-letter-record.js';
export { formatDuration, parseDuration } from './operations/duration.js';
export { defineIdemConfig, type IdemConfig, type IdemConfigContext } from './operations/idem-config.js';
export {
  DEFAULT_CONFIG_FILES,
  type LoadedIdemConfig,
  loadIdemConfig,
} from './operations/load-idem-config.js';
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
  type PurgeDeadLettersOptions,
  type PurgeReport,
  purgeDeadLetters,
} from './operations/purge-dead-letters.js';
export {
  type GetDeadLetterOptions,
  getDeadLetter,
  type ListDeadLettersOptions,
  listDeadLetters,
} from './operations/read-dead-letters.js';
export {
  type ReplayDeadLettersOptions,
  type ReplayItem,
  type ReplayOutcome,
  type ReplayReport,
  replayDeadLetters,
} from './operations/replay-dead-letters.js';
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
  RUNTIME_TABLE_PRIVILEGES,
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
export { createRetryingProducer, type ProducerRetryOptions } from './outbox/create-retrying-producer.js';
export type { MessageProducer, SendOptions, SendOutcome } from './outbox/message-producer.js';
export type { OutboundMessage, ProducerMessage } from './outbox/outbound-message.js';
export type { ProducerTransport } from './outbox/producer-transport.js';
export { type SendInTransactionOptions, sendInTransaction } from './outbox/send-in-transaction.js';
export { defaultIdempotencyKey } from './prepare-message.js';
export { type ProcessorPolicyOptions, pickProcessorPolicy } from './processor-policy-options.js';
export type { MessageGroupDeadLetterPolicy, PayloadMismatchPolicy } from './processor-runtime.js';
export { DEFAULT_SCHEMA } from './schema-name.js';
export type {
  DeadLettersTable,
  IdemTables,
  OutboxStatus,
  OutboxTable,
  ProcessedMessagesTable,
} from './store/idem-tables.js';
export type { OutboxStats } from './store/read-outbox-stats.js';
export {
  formatTagExpression,
  matchesTag,
  parseTagExpression,
  type TagExpression,
} from './tag-expression.js';
