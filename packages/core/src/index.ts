/**
 * `@idem/core`: exactly-once effects on Postgres for at-least-once message consumers.
 *
 * Transport-free: adapters (`@idem/rocketmq-tcp`, `@idem/rocketmq-http`) map broker messages to
 * {@link InboundMessage} and act on each {@link DispatchResult}.
 *
 * @packageDocumentation
 */
export { classifyDatabaseError } from './classify-database-error.js';
export { type Backoff, createBackoff, sleep } from './consumer/backoff.js';
export type { ConsumerHealth, ConsumerStatus, DependencyHealth } from './consumer/consumer-health.js';
export {
  type ConsumerEvent,
  type ConsumerRuntime,
  type ConsumerRuntimeOptions,
  createConsumerRuntime,
  type DispatchMode,
} from './consumer/consumer-runtime.js';
export type { MessageSource, ReceivedMessage } from './consumer/message-source.js';
export { type OutageState, OutageTracker } from './consumer/outage-tracker.js';
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
export { REDACTED, redactSecrets, secretsInUrl } from './observability/redact-secrets.js';
export {
  type HealthServer,
  type HealthServerConsumer,
  type HealthServerOptions,
  type MetricsRegistry,
  startHealthServer,
} from './observability/start-health-server.js';
export { defaultIdempotencyKey } from './prepare-message.js';
export type { PayloadMismatchPolicy } from './processor-runtime.js';
export { DEFAULT_SCHEMA } from './schema-name.js';
export type { DeadLettersTable, IdemTables, ProcessedMessagesTable } from './store/idem-tables.js';
export {
  formatTagExpression,
  matchesTag,
  parseTagExpression,
  type TagExpression,
} from './tag-expression.js';
