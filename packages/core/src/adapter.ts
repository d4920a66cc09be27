/**
 * `@idem/core/adapter`: what a broker transport is built from, beside the root entry's types.
 *
 * An adapter implements a {@link MessageSource} (receive, ack, retry, extend, close) and hands it
 * to {@link createConsumer}, which runs the same loop for every transport: dispatch with
 * exactly-once effects, ack after commit, pause while Postgres is down, ride out broker outages,
 * stop gracefully. For the outbox it implements a {@link ProducerTransport} and wraps it with
 * {@link createRetryingProducer}. Messages, results and errors are the root entry's
 * (`InboundMessage`, `DispatchResult`, `IdemError`): import those from `@idem/core`.
 *
 * A service author needs none of this: the adapters' own factories (`createTcpConsumer`,
 * `createHttpConsumer`) take the same options.
 *
 * @packageDocumentation
 * @module @idem/core/adapter
 */

export { AckBatcher } from './consumer/ack-batcher.js';
export { type CreateConsumerOptions, createConsumer } from './consumer/create-consumer.js';
export type { MessageSource, ReceivedMessage } from './consumer/message-source.js';
export { raceAbort, waitOrAbort } from './consumer/race-abort.js';
export { raceTimeout } from './consumer/race-timeout.js';
export { createRetryingProducer, type ProducerRetryOptions } from './outbox/create-retrying-producer.js';
export type { ProducerTransport } from './outbox/producer-transport.js';
export { shouldAcknowledge } from './processor/dispatch-result.js';
