import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { createRequire } from 'node:module';

/** One message of a consume answer, as the SDK hands it over: XML text, `Properties` parsed. */
export interface SdkMessage {
  readonly MessageId?: string;
  readonly ReceiptHandle?: string;
  readonly MessageBodyMD5?: string;
  readonly MessageBody?: string;
  readonly PublishTime?: string;
  readonly NextConsumeTime?: string;
  readonly FirstConsumeTime?: string;
  readonly ConsumedTimes?: string;
  readonly MessageTag?: string;
  /** The `KEYS` property, moved here by the SDK; several keys are separated by spaces. */
  readonly MessageKey?: string;
  /** The `__SHARDINGKEY` property (ordered partition), moved here by the SDK. */
  readonly ShardingKey?: string;
  /** User properties, without the ones the SDK moved out. */
  readonly Properties?: Readonly<Record<string, string>>;
}

/** One refused receipt handle of a partially failed ack. */
export interface SdkAckError {
  readonly ErrorCode?: string;
  readonly ErrorMessage?: string;
  readonly ReceiptHandle?: string;
}

/** What every SDK call resolves to. `body` is undefined when the answer was not XML. */
export interface SdkResponse<T> {
  readonly code: number;
  readonly requestId: string | undefined;
  readonly body: T;
}

/** The SDK's consumer of one topic and group (`MQConsumer`). */
export interface SdkConsumer {
  consumeMessage(numOfMessages: number, waitSeconds?: number): Promise<SdkResponse<SdkMessage[]>>;
  consumeMessageOrderly(numOfMessages: number, waitSeconds?: number): Promise<SdkResponse<SdkMessage[]>>;
  ackMessage(receiptHandles: string[]): Promise<SdkResponse<SdkAckError[] | undefined>>;
}

/** What a publish resolves to once the service stored the message. */
export interface SdkPublishResult {
  readonly MessageId?: string;
  readonly MessageBodyMD5?: string;
}

/** The SDK's `MessageProperties`: keys, sharding key, delivery time and user properties. */
export interface SdkMessageProperties {
  messageKey(key: string): void;
  shardingKey(key: string): void;
  startDeliverTime(timeMillis: number): void;
  putProperty(key: string, value: string): void;
}

/** The SDK's producer of one topic (`MQProducer`). */
export interface SdkProducer {
  publishMessage(
    body: string,
    tag?: string,
    properties?: SdkMessageProperties,
  ): Promise<SdkResponse<SdkPublishResult | undefined>>;
}

interface SdkRequestOptions {
  readonly timeout?: number;
  readonly agent?: HttpAgent;
}

interface SdkClient {
  request(
    method: string,
    resource: string,
    type: string,
    body: string | Buffer,
    options?: SdkRequestOptions,
  ): Promise<SdkResponse<unknown>>;
  getConsumer(instanceId: string, topic: string, consumer: string, messageTag?: string): SdkConsumer;
  getProducer(instanceId: string, topic: string): SdkProducer;
}

// The SDK is untyped CommonJS whose entry picks its build at run time, so ESM named imports
// cannot see its exports; it is described here as far as Idem uses it (version 1.0.4, pinned).
const sdk = createRequire(import.meta.url)('@aliyunmq/mq-http-sdk') as {
  readonly MQClient: new (
    endpoint: string,
    accessKeyId: string,
    accessKeySecret: string,
    securityToken?: string,
  ) => SdkClient;
  readonly MessageProperties: new () => SdkMessageProperties;
};

/** A new, empty `MessageProperties` of the SDK. */
export function sdkMessageProperties(): SdkMessageProperties {
  return new sdk.MessageProperties();
}

/**
 * An answer with an HTTP error status and no MQ XML body (a load balancer's or proxy's error
 * page). The SDK checks no status: it would resolve `{ code: 503 }` for an ack and throw a
 * TypeError for a consume.
 */
export class UnexpectedAnswerError extends Error {
  override readonly name: string = 'UnexpectedAnswerError';

  constructor(
    readonly status: number,
    readonly requestId: string | undefined,
    method: string,
  ) {
    super(
      `${method} answered HTTP ${status} without an MQ XML body (an error page of a proxy or load balancer in front of the service?)`,
    );
  }
}

/** Where and as whom the client connects. */
export interface MqHttpClientSettings {
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken: string | undefined;
  /**
   * A consume may take its long poll plus this long before it is abandoned. The SDK's own 33 s
   * would let a connection that a failing network silently dropped delay resumption by half a
   * minute after the service is back.
   */
  readonly consumeMarginMs: number;
  /** Timeout of a publish (connect and answer); the SDK's own is 3 s. */
  readonly publishTimeoutMs?: number;
}

/**
 * The SDK's client on a keep-alive agent of its own: the SDK's default agent is module-global,
 * so requests in flight could never be cut off and `stop()` would wait for the long poll. With
 * its own agent, {@link MqHttpClient.close} destroys every connection at once and the process
 * can exit. Answers with an error status and no XML become {@link UnexpectedAnswerError}.
 *
 * A request that times out may have met a connection that a failing network silently dropped
 * (no FIN, no RST); its idle siblings in the pool are likely dead too, and the next request
 * would take one of them and wait out another timeout. So a timeout replaces the agent: every
 * connection it held is destroyed (requests still on them fail and are retried) and the next
 * request opens a new one.
 */
export class MqHttpClient {
  #agent: HttpAgent;
  #closed = false;
  readonly #https: boolean;
  readonly #client: SdkClient;

  constructor(settings: MqHttpClientSettings) {
    this.#https = settings.endpoint.startsWith('https:');
    this.#agent = this.#newAgent();
    const { consumeMarginMs, publishTimeoutMs } = settings;
    const owner = this;

    class AgentBoundClient extends sdk.MQClient {
      override async request(
        method: string,
        resource: string,
        type: string,
        body: string | Buffer,
        options: SdkRequestOptions = {},
      ): Promise<SdkResponse<unknown>> {
        const timeout =
          method === 'GET'
            ? consumeTimeoutMs(resource, consumeMarginMs)
            : method === 'POST'
              ? (options.timeout ?? publishTimeoutMs)
              : options.timeout;
        const agent = owner.#agent;
        let response: SdkResponse<unknown>;
        try {
          response = await super.request(method, resource, type, body, {
            ...options,
            agent,
            ...(timeout === undefined ? {} : { timeout }),
          });
        } catch (error) {
          if (isTimeout(error)) owner.#renewAgent(agent);
          throw error;
        }
        if (response.code >= 300 && response.body === undefined) {
          throw new UnexpectedAnswerError(response.code, response.requestId, method);
        }
        return response;
      }
    }
    this.#client = new AgentBoundClient(
      settings.endpoint,
      settings.accessKeyId,
      settings.accessKeySecret,
      settings.securityToken,
    );
  }

  /** The SDK consumer of `topic` for `group`; `tagExpression` `*` subscribes to every tag. */
  consumer(instanceId: string, topic: string, group: string, tagExpression: string): SdkConsumer {
    return this.#client.getConsumer(
      instanceId,
      topic,
      group,
      tagExpression === '*' ? undefined : tagExpression,
    );
  }

  /** The SDK producer of `topic`. */
  producer(instanceId: string, topic: string): SdkProducer {
    return this.#client.getProducer(instanceId, topic);
  }

  /** Destroys every connection, in flight or idle; requests in flight reject. */
  close(): void {
    this.#closed = true;
    this.#agent.destroy();
  }

  #newAgent(): HttpAgent {
    return this.#https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  }

  /** Replaces `timedOut` (once, however many of its requests time out) by a fresh agent. */
  #renewAgent(timedOut: HttpAgent): void {
    if (this.#closed || this.#agent !== timedOut) return;
    this.#agent = this.#newAgent();
    timedOut.destroy();
  }
}

/** httpx's `RequestTimeoutError` (ConnectTimeout, ReadTimeout) or a socket's own timeout. */
function isTimeout(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === 'RequestTimeoutError' || code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT';
}

function consumeTimeoutMs(resource: string, marginMs: number): number {
  const waitSeconds = Number(/[?&]waitseconds=(\d+)/.exec(resource)?.[1] ?? 0);
  return waitSeconds * 1000 + marginMs;
}
