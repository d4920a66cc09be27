import { IdemError, type Logger } from '@idem/core';
import { AckBatcher, type MessageSource, type ReceivedMessage, raceAbort } from '@idem/core/adapter';
import { classifySdkError, redactor, type SdkFailure } from './classify-sdk-error.js';
import { MqHttpClient, type SdkConsumer, type SdkMessage } from './mq-http-client.js';
import { bodyMatchesDigest, toInboundMessage } from './to-inbound-message.js';

/** The service's limit on messages per consume and receipt handles per ack. */
export const MAX_MESSAGES_PER_REQUEST = 16;

// A consume is abandoned this long after its long poll should have ended (see MqHttpClient):
// ample for a round trip to the service, and short enough that a silently dead connection is
// reported within 10 s with the default 5 s long poll (timeout, then the outage's 1 s grace).
const CONSUME_MARGIN_MS = 2000;
// Long poll while the endpoint is failing: a consume sent on a connection that is dead without
// a word (it was opened while the network dropped packets) then costs seconds, not a full poll.
const FAILING_WAIT_SECONDS = 1;
// Ack requests in flight per topic; acks beyond share the next request.
const ACK_REQUESTS_IN_FLIGHT = 4;
const RECEIPT_HANDLE_ERROR = 'ReceiptHandleError';

/** One delivery's handle: the topic it came from and its single-use receipt handle. */
export interface HttpReceipt {
  readonly topic: string;
  readonly receiptHandle: string;
}

/** What the HTTP source needs, resolved from the consumer options. */
export interface RocketMQHttpSourceSettings {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken: string | undefined;
  /** `''` when the endpoint serves one instance without namespaces. */
  readonly instanceId: string;
  readonly consumerGroup: string;
  readonly subscriptions: readonly { readonly topic: string; readonly tagExpression: string }[];
  readonly ordered: boolean;
  readonly waitSeconds: number;
  readonly logger: Logger;
}

interface TopicConsumer {
  readonly topic: string;
  readonly sdk: SdkConsumer;
  readonly acks: AckBatcher<string>;
}

/**
 * Drives ApsaraMQ for RocketMQ's HTTP API through `@aliyunmq/mq-http-sdk`: long-polling consumes
 * round-robin over the subscribed topics, acks of many receipt handles per request, and every
 * SDK quirk turned into a clear outcome: `MessageNotExist` is an empty receive, every transport
 * failure a retryable `BROKER_UNAVAILABLE`, an ack's refused receipt handles a success (the
 * message comes back and is skipped as a duplicate). The API cannot extend or shorten a
 * delivery's invisibility, so there is no `extendLease` or `retryLater`: redelivery follows
 * the invisible time the service sets.
 *
 * Credentials stay in private fields and are removed from every message this class writes.
 */
export class RocketMQHttpSource implements MessageSource<HttpReceipt> {
  readonly description: string;
  readonly leaseMs: undefined = undefined;
  readonly #settings: RocketMQHttpSourceSettings;
  readonly #redact: (text: string) => string;
  #client: MqHttpClient | undefined;
  #consumers: TopicConsumer[] = [];
  #next = 0;
  /** The last consume failed in transit: poll briefly until one gets through. */
  #failing = false;
  /** Messages the start-up check received; handed out by the first receives. */
  #prefetched: ReceivedMessage<HttpReceipt>[] = [];

  constructor(settings: RocketMQHttpSourceSettings) {
    this.#settings = settings;
    this.#redact = redactor([settings.accessKeySecret, settings.securityToken, settings.accessKeyId]);
    this.description = `rocketmq-http ${settings.endpoint}${settings.instanceId === '' ? '' : ` (instance ${settings.instanceId})`}`;
  }

  /**
   * Creates one SDK consumer per topic and checks each with a short poll, so a wrong endpoint,
   * wrong credentials or a missing topic or group fail here, saying which, instead of in the
   * receive loop. Messages that check receives are kept for the first receives.
   */
  async start(): Promise<void> {
    const settings = this.#settings;
    const client = new MqHttpClient({
      endpoint: settings.endpoint,
      accessKeyId: settings.accessKeyId,
      accessKeySecret: settings.accessKeySecret,
      securityToken: settings.securityToken,
      consumeMarginMs: CONSUME_MARGIN_MS,
    });
    this.#client = client;
    this.#consumers = settings.subscriptions.map(({ topic, tagExpression }) => {
      const consumer: TopicConsumer = {
        topic,
        sdk: client.consumer(settings.instanceId, topic, settings.consumerGroup, tagExpression),
        acks: new AckBatcher(
          (handles) => this.#ack(consumer, handles),
          ACK_REQUESTS_IN_FLIGHT,
          MAX_MESSAGES_PER_REQUEST,
        ),
      };
      return consumer;
    });
    const checks = await Promise.allSettled(this.#consumers.map((consumer) => this.#consume(consumer, 1, 0)));
    const failure = checks.find((check): check is PromiseRejectedResult => check.status === 'rejected');
    if (failure === undefined) {
      this.#prefetched = checks.flatMap((check) => (check.status === 'fulfilled' ? check.value : []));
      return;
    }
    await this.close();
    throw this.#startupError(failure.reason);
  }

  async receive(max: number, signal: AbortSignal): Promise<ReceivedMessage<HttpReceipt>[]> {
    if (signal.aborted) return [];
    if (this.#prefetched.length > 0) return this.#prefetched.splice(0, max);
    if (this.#consumers.length === 0) throw notStarted();
    const consumer = this.#consumers[this.#next % this.#consumers.length];
    this.#next += 1;
    if (consumer === undefined) throw notStarted();
    const count = Math.max(1, Math.min(max, MAX_MESSAGES_PER_REQUEST));
    // The request left behind is cut off by close(); its messages, if any came, are redelivered
    // after their invisible time.
    return await raceAbort(this.#consume(consumer, count, this.#settings.waitSeconds), signal, () => []);
  }

  /**
   * Acks with requests of up to 16 handles per topic, acks of concurrent calls sharing requests
   * (see `AckBatcher`). Refused handles (`ReceiptHandleError`: already acked, or expired
   * and redelivered) count as done: the redelivery is skipped as a duplicate. Anything else
   * rejects, and the runtime tries again.
   */
  async ack(receipts: readonly HttpReceipt[]): Promise<void> {
    const byTopic = new Map<string, string[]>();
    for (const { topic, receiptHandle } of receipts) {
      const handles = byTopic.get(topic) ?? [];
      handles.push(receiptHandle);
      byTopic.set(topic, handles);
    }
    const requests: Promise<void>[] = [];
    for (const [topic, handles] of byTopic) {
      const consumer = this.#consumers.find((candidate) => candidate.topic === topic);
      if (consumer === undefined) throw notStarted();
      requests.push(consumer.acks.ack(handles));
    }
    const results = await Promise.allSettled(requests);
    const failure = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
  }

  /** Destroys every connection, the long poll in flight included, so the process can exit. */
  async close(): Promise<void> {
    this.#client?.close();
    this.#client = undefined;
    this.#consumers = [];
    this.#prefetched = [];
  }

  async #consume(
    consumer: TopicConsumer,
    count: number,
    waitSeconds: number,
  ): Promise<ReceivedMessage<HttpReceipt>[]> {
    let messages: SdkMessage[];
    try {
      const wait = this.#failing ? Math.min(waitSeconds, FAILING_WAIT_SECONDS) : waitSeconds;
      const response = this.#settings.ordered
        ? await consumer.sdk.consumeMessageOrderly(count, wait)
        : await consumer.sdk.consumeMessage(count, wait);
      messages = response.body;
    } catch (error) {
      const failure = classifySdkError(error, this.#redact);
      this.#failing = failure.kind === 'unavailable';
      if (failure.kind === 'empty') return [];
      throw this.#operationError('consume from', consumer.topic, failure);
    }
    this.#failing = false;
    // The SDK hands over whatever the XML held; anything but a list is an answer it misread.
    if (!Array.isArray(messages)) {
      throw this.#operationError('consume from', consumer.topic, {
        kind: 'unavailable',
        code: undefined,
        detail: 'the answer held no list of messages',
      });
    }
    return messages.flatMap((message) => this.#toReceived(consumer.topic, message));
  }

  #toReceived(topic: string, message: SdkMessage): ReceivedMessage<HttpReceipt>[] {
    const { logger, consumerGroup } = this.#settings;
    if (message.ReceiptHandle === undefined || message.MessageId === undefined) {
      logger.warn(
        { consumerGroup, topic, messageId: message.MessageId },
        'received a message without a message id or receipt handle; leaving it to redelivery',
      );
      return [];
    }
    // Not handed to handlers: it becomes visible again after its invisible time, and the
    // service dead-letters it after its retries.
    if (!bodyMatchesDigest(message)) {
      logger.warn(
        { consumerGroup, topic, messageId: message.MessageId },
        'received a message whose body does not match its MD5; leaving it to redelivery',
      );
      return [];
    }
    return [
      { message: toInboundMessage(topic, message), receipt: { topic, receiptHandle: message.ReceiptHandle } },
    ];
  }

  async #ack(consumer: TopicConsumer, handles: string[]): Promise<void> {
    // Acks queued when the consumer closed must not open a connection on the closed client.
    if (this.#client === undefined) throw notStarted();
    let response: Awaited<ReturnType<SdkConsumer['ackMessage']>>;
    try {
      response = await consumer.sdk.ackMessage(handles);
    } catch (error) {
      throw this.#operationError('ack on', consumer.topic, classifySdkError(error, this.#redact));
    }
    if (response.code >= 200 && response.code < 300) return;
    const refused = Array.isArray(response.body) ? response.body : [];
    if (refused.length > 0 && refused.every((entry) => entry.ErrorCode === RECEIPT_HANDLE_ERROR)) {
      this.#settings.logger.debug(
        { consumerGroup: this.#settings.consumerGroup, topic: consumer.topic, refused: refused.length },
        'receipt handles were no longer valid; those messages are redelivered and skipped as duplicates',
      );
      return;
    }
    const codes = [...new Set(refused.map((entry) => entry.ErrorCode ?? 'unknown'))].join(', ');
    throw new IdemError(
      'ACK_FAILED',
      `ApsaraMQ HTTP ack on topic "${consumer.topic}" answered HTTP ${response.code}${codes === '' ? '' : ` (${codes})`}${
        response.requestId === undefined ? '' : `, RequestId ${response.requestId}`
      }`,
      { retryable: true },
    );
  }

  #operationError(operation: string, topic: string, failure: SdkFailure): IdemError {
    const { consumerGroup } = this.#settings;
    const what = `ApsaraMQ HTTP ${operation} topic "${topic}" (group "${consumerGroup}") failed: ${failure.detail}`;
    if (failure.kind === 'credentials') {
      return new IdemError(
        'INVALID_CONFIGURATION',
        `${what}. The access key was refused: check accessKeyId and accessKeySecret, and that the key may use this instance, topic and group`,
      );
    }
    if (failure.kind === 'configuration') {
      return new IdemError(
        'INVALID_CONFIGURATION',
        `${what}. Check that the topic and group exist on this instance and that instanceId is set when the endpoint needs it`,
      );
    }
    return new IdemError('BROKER_UNAVAILABLE', what, { retryable: true });
  }

  #startupError(reason: unknown): IdemError {
    const { endpoint } = this.#settings;
    if (reason instanceof IdemError && reason.code === 'INVALID_CONFIGURATION') {
      return new IdemError(
        'INVALID_CONFIGURATION',
        `cannot start consuming from ${endpoint}: ${reason.message}`,
      );
    }
    const detail = (reason instanceof Error ? reason.message : String(reason)).replace(/\.+$/, '');
    return new IdemError(
      'BROKER_UNAVAILABLE',
      `cannot start consuming from ${endpoint}: ${detail}. Check that endpoint is the instance's HTTP endpoint (http://<id>.mqrest.<region>.aliyuncs.com) and that it is reachable from here`,
      { retryable: true },
    );
  }
}

function notStarted(): IdemError {
  return new IdemError('BROKER_UNAVAILABLE', 'the ApsaraMQ HTTP consumer is not started', {
    retryable: true,
  });
}
