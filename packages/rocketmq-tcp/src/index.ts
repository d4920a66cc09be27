/**
 * `@idem/rocketmq-tcp`: Idem consumers over RocketMQ 5's gRPC protocol (rocketmq-client-nodejs).
 *
 * @packageDocumentation
 */
export { createTcpConsumer, type TcpConsumer } from './create-tcp-consumer.js';
export { createTcpProducer } from './create-tcp-producer.js';
export { RocketMQTcpSource, type RocketMQTcpSourceSettings } from './rocketmq-tcp-source.js';
export type {
  ResolvedTcpConnection,
  TcpConnectionOptions,
  TcpCredentials,
} from './tcp-connection-options.js';
export type { TcpConsumerOptions } from './tcp-consumer-options.js';
export type { TcpProducerOptions } from './tcp-producer-options.js';
export { TCP_TRANSPORT, toInboundMessage } from './to-inbound-message.js';
