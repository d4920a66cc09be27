import { IdemError, type ProducerMessage } from '@idem/core';
import type { ProducerTransport } from '@idem/core/adapter';
import { classifySdkError } from './classify-sdk-error.js';
import { MqHttpClient } from './mq-http-client.js';
import { toPublishRequest } from './to-publish-request.js';

/** What the HTTP producer transport needs, resolved from {@link HttpProducerOptions}. */
export interface RocketMQHttpProducerSettings {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken: string | undefined;
  readonly instanceId: string;
  readonly publishTimeoutMs: number;
  readonly maxBodyBytes: number;
  readonly redact: (text: string) => string;
}

// Service codes that refuse the message itself; the SDK escapes nothing, so a body it could not
// write as XML would come back as MalformedXML (toPublishRequest refuses those first).
const MESSAGE_FAULTS = new Set(['MalformedXML', 'MessageTooLarge', 'InvalidMessageBody']);

/**
 * One publish of one message through `@aliyunmq/mq-http-sdk`, for `createRetryingProducer`, on
 * a keep-alive agent of its own so that `stop()` can close every connection. The SDK retries
 * nothing, and an error page without XML (a load balancer's 503) resolves instead of throwing:
 * the client turns that into an error, and an answer without a MessageId is a failure too.
 */
export class RocketMQHttpProducerTransport implements ProducerTransport {
  readonly description: string;
  #client: MqHttpClient | undefined;

  constructor(private readonly settings: RocketMQHttpProducerSettings) {
    this.description = `mq-http ${settings.endpoint}${settings.instanceId === '' ? '' : ` (${settings.instanceId})`}`;
  }

  async start(): Promise<void> {
    // HTTP has no session: the first publish finds out whether the service is there.
    this.#client ??= new MqHttpClient({
      endpoint: this.settings.endpoint,
      accessKeyId: this.settings.accessKeyId,
      accessKeySecret: this.settings.accessKeySecret,
      securityToken: this.settings.securityToken,
      consumeMarginMs: 0,
      publishTimeoutMs: this.settings.publishTimeoutMs,
    });
  }

  async sendOnce(message: ProducerMessage): Promise<string> {
    const client = this.#client;
    if (client === undefined) {
      throw new IdemError('SEND_FAILED', 'the HTTP producer is not started', { retryable: true });
    }
    const request = toPublishRequest(message, this.settings.maxBodyBytes);
    const where = `${this.settings.endpoint} topic "${message.topic}"`;
    let response: Awaited<ReturnType<ReturnType<MqHttpClient['producer']>['publishMessage']>>;
    try {
      response = await client
        .producer(this.settings.instanceId, message.topic)
        .publishMessage(request.body, request.tag, request.properties);
    } catch (error) {
      const failure = classifySdkError(error, this.settings.redact);
      const refused =
        failure.kind === 'credentials' ||
        failure.kind === 'configuration' ||
        (failure.code !== undefined && MESSAGE_FAULTS.has(failure.code));
      throw new IdemError(
        refused ? 'MESSAGE_REJECTED' : 'SEND_FAILED',
        `publishing to ${where} ${refused ? 'was refused' : 'failed'}: ${failure.detail}`,
        { retryable: !refused },
      );
    }
    const messageId = response.body?.MessageId;
    if (response.code !== 201 || typeof messageId !== 'string' || messageId === '') {
      throw new IdemError(
        'SEND_FAILED',
        `publishing to ${where} answered HTTP ${response.code} without a MessageId`,
        { retryable: true },
      );
    }
    return messageId;
  }

  async stop(): Promise<void> {
    this.#client?.close();
    this.#client = undefined;
  }
}
