import { IdemError, type Logger } from '@idem/core';
import { AckBatcher, type MessageSource, type ReceivedMessage, raceTimeout } from '@idem/core/adapter';
import { FilterExpression, type MessageView, SimpleConsumer } from 'rocketmq-client-nodejs';
import { ackInOneRequest } from './ack-in-one-request.js';
import { clientLogger } from './client-logger.js';
import { guardTelemetryStreams } from './guard-telemetry-streams.js';
import { installGrpcChannelOptions } from './install-grpc-channel-options.js';
import { receiveUntilAborted } from './receive-until-aborted.js';
import { resyncSettingsDuringStartup } from './resync-settings-during-startup.js';
import { startupFailureReason } from './startup-failure-reason.js';
import { toInboundMessage } from './to-inbound-message.js';

// Ack requests in flight per topic; acks that come in meanwhile share the next request.
const ACK_REQUESTS_IN_FLIGHT = 4;
// Entries per AckMessageRequest. The protocol sets no limit; this keeps a request far below
// gRPC's 4 MiB default message size (a receipt handle is about 150 bytes).
const MAX_ACKS_PER_REQUEST = 256;

/** What the TCP source needs to connect, resolved from the consumer options. */
export interface RocketMQTcpSourceSettings {
  readonly endpoints: string;
  readonly consumerGroup: string;
  readonly namespace: string;
  readonly subscriptions: readonly { readonly topic: string; readonly tagExpression: string }[];
  readonly credentials: { accessKey: string; accessSecret: string; securityToken?: string } | undefined;
  readonly tls: boolean;
  readonly invisibleDurationMs: number;
  readonly longPollingTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly startupTimeoutMs: number;
  readonly logger: Logger;
}

/**
 * Drives a RocketMQ 5 proxy through rocketmq-client-nodejs's SimpleConsumer: explicit receive,
 * ack and ChangeInvisibleDuration give Idem control of when a message is acknowledged (only
 * after commit), of retry delays (the PushConsumer's are off by a factor of 1000) and of lease
 * extension, none of which the PushConsumer exposes.
 */
export class RocketMQTcpSource implements MessageSource<MessageView> {
  readonly description: string;
  readonly leaseMs: number;
  #consumer: SimpleConsumer | undefined;
  // One per topic and broker endpoint: what one AckMessageRequest can address.
  readonly #ackBatchers = new Map<string, AckBatcher<MessageView>>();

  constructor(private readonly settings: RocketMQTcpSourceSettings) {
    this.description = `rocketmq-tcp ${settings.endpoints}`;
    this.leaseMs = settings.invisibleDurationMs;
  }

  async start(): Promise<void> {
    guardTelemetryStreams();
    installGrpcChannelOptions();
    const { settings } = this;
    const consumer = new SimpleConsumer({
      endpoints: settings.endpoints,
      namespace: settings.namespace,
      consumerGroup: settings.consumerGroup,
      subscriptions: new Map(
        settings.subscriptions.map(({ topic, tagExpression }) => [
          topic,
          new FilterExpression(tagExpression),
        ]),
      ),
      awaitDuration: settings.longPollingTimeoutMs,
      requestTimeout: settings.requestTimeoutMs,
      sslEnabled: settings.tls,
      logger: clientLogger(settings.logger, {
        consumerGroup: settings.consumerGroup,
        transport: this.description,
      }),
      ...(settings.credentials === undefined ? {} : { sessionCredentials: settings.credentials }),
    });
    this.#consumer = consumer;
    // startup() waits without limit for the proxy's settings; a wrong port or a proxy that is
    // still booting must not hang the service's start.
    const timedOut = Symbol('timeout');
    const stopResync = resyncSettingsDuringStartup(consumer);
    const outcome = await raceTimeout(
      consumer.startup().then(() => undefined),
      settings.startupTimeoutMs,
      () => timedOut,
    )
      .catch((error: unknown) => error)
      .finally(stopResync);
    if (outcome === undefined) return;
    // The client leaves timers running after a failed startup; shut it down so the process can exit.
    await this.close();
    // The cause is the root error alone: the client's wrappers around it only repeat it.
    const failure =
      outcome === timedOut
        ? { reason: `no answer within ${settings.startupTimeoutMs} ms`, rootCause: undefined }
        : startupFailureReason(outcome);
    const topics = settings.subscriptions.map((s) => s.topic).join(', ');
    throw new IdemError(
      'BROKER_UNAVAILABLE',
      `cannot start consuming from RocketMQ at ${settings.endpoints}: ${failure.reason} (group "${settings.consumerGroup}", topics ${topics}). ` +
        "Check that endpoints names the proxy's gRPC port, that the topics and group exist, and the credentials",
      { retryable: true, cause: failure.rootCause },
    );
  }

  async receive(max: number, signal: AbortSignal): Promise<ReceivedMessage<MessageView>[]> {
    const consumer = this.#requireConsumer();
    const views = await receiveUntilAborted(
      () => consumer.receive(max, this.settings.invisibleDurationMs),
      signal,
    );
    // A corrupted body (digest mismatch) is not handed to handlers: it becomes visible again
    // after its invisible time and the broker dead-letters it after its retries.
    return views
      .filter((view) => {
        if (view.corrupted) {
          this.settings.logger.warn(
            { consumerGroup: this.settings.consumerGroup, messageId: view.messageId, topic: view.topic },
            'received a message whose body does not match its digest; leaving it to redelivery',
          );
        }
        return !view.corrupted;
      })
      .map((view) => ({ message: toInboundMessage(view), receipt: view }));
  }

  /**
   * Acks with one AckMessageRequest per topic for all of `receipts` (see `ackInOneRequest`), acks
   * of concurrent calls sharing requests (see `AckBatcher`). Handles no longer valid count as
   * done; any other refusal or a transport error rejects, and the runtime tries again.
   */
  async ack(receipts: readonly MessageView[]): Promise<void> {
    const consumer = this.#requireConsumer();
    const byDestination = new Map<string, MessageView[]>();
    for (const view of receipts) {
      const key = `${view.topic}\n${view.endpoints.facade}`;
      byDestination.set(key, [...(byDestination.get(key) ?? []), view]);
    }
    const results = await Promise.allSettled(
      [...byDestination].map(([key, views]) => this.#ackBatcher(consumer, key).ack(views)),
    );
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  }

  #ackBatcher(consumer: SimpleConsumer, key: string): AckBatcher<MessageView> {
    let batcher = this.#ackBatchers.get(key);
    if (batcher === undefined) {
      const { consumerGroup, requestTimeoutMs } = this.settings;
      batcher = new AckBatcher(
        (views) => ackInOneRequest(consumer, consumerGroup, views, requestTimeoutMs),
        ACK_REQUESTS_IN_FLIGHT,
        MAX_ACKS_PER_REQUEST,
      );
      this.#ackBatchers.set(key, batcher);
    }
    return batcher;
  }

  async retryLater(receipt: MessageView, delayMs: number): Promise<void> {
    await this.#requireConsumer().changeInvisibleDuration(receipt, Math.max(0, Math.round(delayMs)));
  }

  async extendLease(receipt: MessageView, ms: number): Promise<MessageView> {
    // The client replaces the view's receipt handle with the new one; the old one is invalid now.
    await this.#requireConsumer().changeInvisibleDuration(receipt, ms);
    return receipt;
  }

  async close(): Promise<void> {
    const consumer = this.#consumer;
    this.#consumer = undefined;
    this.#ackBatchers.clear();
    if (consumer === undefined) return;
    // shutdown() can hang or reject when the proxy is gone; the consumer runtime bounds the wait.
    await consumer.shutdown().catch((error: unknown) => {
      this.settings.logger.debug({ error: describe(error) }, 'RocketMQ client shutdown failed');
    });
  }

  #requireConsumer(): SimpleConsumer {
    if (this.#consumer === undefined) {
      throw new IdemError('BROKER_UNAVAILABLE', 'the RocketMQ consumer is not started', { retryable: true });
    }
    return this.#consumer;
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
