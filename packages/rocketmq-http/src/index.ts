/**
 * `@idem/rocketmq-http`: Idem consumers over ApsaraMQ for RocketMQ's HTTP protocol
 * (`@aliyunmq/mq-http-sdk`).
 *
 * @packageDocumentation
 */
export { createHttpConsumer, type HttpConsumer } from './create-http-consumer.js';
export { createHttpProducer } from './create-http-producer.js';
export type { HttpConnectionOptions, ResolvedHttpConnection } from './http-connection-options.js';
export type { HttpConsumerOptions } from './http-consumer-options.js';
export type { HttpProducerOptions } from './http-producer-options.js';
export type { SdkMessage } from './mq-http-client.js';
export {
  type HttpReceipt,
  RocketMQHttpSource,
  type RocketMQHttpSourceSettings,
} from './rocketmq-http-source.js';
export { HTTP_TRANSPORT, toInboundMessage } from './to-inbound-message.js';
