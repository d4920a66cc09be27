/**
 * `@idem/testing`: real parts for testing Idem consumers, yours and ours.
 *
 * @packageDocumentation
 */
export {
  type BlackholeOptions,
  type BlackholeProxy,
  type BlackholeProxyMode,
  type BlackholeProxyOptions,
  type BlackholeProxyStats,
  type StarvedConnections,
  startBlackholeProxy,
} from './blackhole-proxy/start-blackhole-proxy.js';
export {
  type ConsumerProcess,
  type ConsumerProcessExit,
  type ConsumerProcessOptions,
  startConsumerProcess,
} from './consumer-process/start-consumer-process.js';
export {
  type EmbeddedPostgresOptions,
  type EmbeddedPostgresServer,
  startEmbeddedPostgres,
} from './embedded-postgres/start-embedded-postgres.js';
export type { LostAckEffect } from './lost-ack-effect.js';
export {
  DEFAULT_MQ_HTTP_ACCESS_KEY_ID,
  DEFAULT_MQ_HTTP_ACCESS_KEY_SECRET,
  type MqHttpIdleOptions,
  type MqHttpLoseAcksOptions,
  type MqHttpPeer,
  type MqHttpPeerMessage,
  type MqHttpPeerOptions,
  type MqHttpStoredMessage,
  type MqHttpWaitOptions,
} from './mq-http-peer/mq-http-peer.js';
export { MqHttpPeerError, type MqHttpPeerErrorCode } from './mq-http-peer/mq-http-peer-error.js';
export type { MqHttpOutage, MqHttpOutageOptions } from './mq-http-peer/outage-controller.js';
export type { MqHttpLostAckEffect } from './mq-http-peer/peer-context.js';
export type { MqHttpOutageMode, MqHttpPeerStats } from './mq-http-peer/peer-stats.js';
export { startMqHttpPeer } from './mq-http-peer/start-mq-http-peer.js';
export {
  DEFAULT_ROCKETMQ_VERSION,
  ensureRocketMQJars,
  type RocketMQJars,
  type RocketMQJarsOptions,
} from './rocketmq-broker/ensure-rocketmq-jars.js';
export { realBrokerSkipReason } from './rocketmq-broker/real-broker-skip-reason.js';
export type {
  RocketMQGroupSpec,
  RocketMQTopicSpec,
  RocketMQTopicType,
} from './rocketmq-broker/rocketmq-admin.js';
export type {
  RocketMQBroker,
  RocketMQBrokerOptions,
  RocketMQBrokerRestartOptions,
} from './rocketmq-broker/rocketmq-broker.js';
export {
  RocketMQBrokerError,
  type RocketMQBrokerErrorCode,
} from './rocketmq-broker/rocketmq-broker-error.js';
export { startRocketMQBroker } from './rocketmq-broker/start-rocketmq-broker.js';
export { RocketMQPeerError, type RocketMQPeerErrorCode } from './rocketmq-peer/rocketmq-peer-error.js';
export type {
  RocketMQPeer,
  RocketMQPeerBackoff,
  RocketMQPeerDeadLetter,
  RocketMQPeerDeadLetterReason,
  RocketMQPeerGroupStats,
  RocketMQPeerIdleOptions,
  RocketMQPeerLoseAcksOptions,
  RocketMQPeerMessage,
  RocketMQPeerOptions,
  RocketMQPeerPublishInput,
  RocketMQPeerStats,
} from './rocketmq-peer/rocketmq-peer-types.js';
export { startRocketMQPeer } from './rocketmq-peer/start-rocketmq-peer.js';
export {
  createTestSchema,
  type TestSchema,
  type TestSchemaOptions,
} from './test-schema/create-test-schema.js';
