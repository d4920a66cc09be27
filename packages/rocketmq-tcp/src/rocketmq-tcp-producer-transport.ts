import { IdemError, type Logger, type ProducerMessage } from '@idem/core';
import type { ProducerTransport } from '@idem/core/adapter';
import { Message, Producer } from 'rocketmq-client-nodejs';
import { classifyTcpSendError } from './classify-tcp-send-error.js';
import { clientLogger } from './client-logger.js';
import { guardTelemetryStreams } from './guard-telemetry-streams.js';
import { installGrpcChannelOptions } from './install-grpc-channel-options.js';
import { resyncSettingsDuringStartup } from './resync-settings-during-startup.js';

/** What the TCP producer transport needs, resolved from {@link TcpProducerOptions}. */
export interface RocketMQTcpProducerSettings {
  readonly endpoints: string;
  readonly namespace: string;
  readonly credentials: { accessKey: string; accessSecret: string; securityToken?: string } | undefined;
  readonly tls: boolean;
  readonly topics: readonly string[];
  readonly requestTimeoutMs: number;
  readonly startupTimeoutMs: number;
  readonly logger: Logger;
}

interface ClientInternals {
  readonly rpcClientManager: {
    notifyClientTermination(...args: unknown[]): Promise<unknown>;
  };
}

/**
 * One attempt at one message through rocketmq-client-nodejs's `Producer`, for
 * `createRetryingProducer`. The client's own retries are off (`maxAttempts: 1`): it would re-send
 * at once, without backoff, with the same message id, and log a warning per attempt.
 */
export class RocketMQTcpProducerTransport implements ProducerTransport {
  readonly description: string;
  #producer: Producer | undefined;

  constructor(private readonly settings: RocketMQTcpProducerSettings) {
    this.description = `rocketmq-tcp ${settings.endpoints}`;
  }

  async start(): Promise<void> {
    if (this.#producer !== undefined) return;
    guardTelemetryStreams();
    installGrpcChannelOptions();
    const { settings } = this;
    const producer = new Producer({
      endpoints: settings.endpoints,
      namespace: settings.namespace,
      topics: [...settings.topics],
      requestTimeout: settings.requestTimeoutMs,
      sslEnabled: settings.tls,
      maxAttempts: 1,
      logger: clientLogger(settings.logger, { transport: this.description }),
      ...(settings.credentials === undefined ? {} : { sessionCredentials: settings.credentials }),
    });
    releaseEvenIfUnreachable(producer);
    this.#producer = producer;
    // startup() waits without limit for the proxy's settings when topics are given.
    // The timer is cleared once the race is decided: left running it would hold the process
    // for up to startupTimeoutMs after stop().
    const timedOut = Symbol('timeout');
    let timer: NodeJS.Timeout | undefined;
    const stopResync = resyncSettingsDuringStartup(producer);
    const outcome = await Promise.race([
      producer.startup().then(() => undefined),
      new Promise<symbol>((resolve) => {
        timer = setTimeout(() => resolve(timedOut), settings.startupTimeoutMs);
      }),
    ])
      .catch((error: unknown) => error)
      .finally(() => {
        clearTimeout(timer);
        stopResync();
      });
    if (outcome === undefined) return;
    // A failed startup leaves the client's timers and channels running.
    await this.stop();
    const reason =
      outcome === timedOut ? `no answer within ${settings.startupTimeoutMs} ms` : rootMessage(outcome);
    throw new IdemError(
      'BROKER_UNAVAILABLE',
      `cannot start the RocketMQ producer at ${settings.endpoints} (topics ${settings.topics.join(', ')}): ${reason}. Check that endpoints names the proxy's gRPC port, that the topics exist, and the credentials`,
      { retryable: true, cause: outcome === timedOut ? undefined : outcome },
    );
  }

  async sendOnce(message: ProducerMessage): Promise<string> {
    const producer = this.#producer;
    if (producer === undefined) {
      throw new IdemError('SEND_FAILED', 'the RocketMQ producer is not started', { retryable: true });
    }
    const clientMessage = toClientMessage(message);
    let receipt: { messageId?: string } | undefined;
    try {
      receipt = await producer.send(clientMessage);
    } catch (error) {
      throw classifyTcpSendError(error, this.settings.endpoints);
    }
    // Producer.send returns `receipts[0]` unchecked, so a SendMessageResponse with an OK status
    // and no entries resolves undefined: that is no receipt, so not a success.
    if (receipt === undefined || typeof receipt.messageId !== 'string' || receipt.messageId === '') {
      throw new IdemError(
        'SEND_FAILED',
        `RocketMQ at ${this.settings.endpoints} answered the send without a receipt`,
        {
          retryable: true,
        },
      );
    }
    return receipt.messageId;
  }

  async stop(): Promise<void> {
    const producer = this.#producer;
    this.#producer = undefined;
    if (producer === undefined) return;
    await producer.shutdown().catch((error: unknown) => {
      this.settings.logger.debug({ error: rootMessage(error) }, 'RocketMQ producer shutdown failed');
    });
  }
}

/**
 * Maps Idem's message to the client's. The client's own checks (a message group together with a
 * delivery time) throw here, before anything is sent: the message can never be sent as it is.
 */
function toClientMessage(message: ProducerMessage): Message {
  try {
    return new Message({
      topic: message.topic,
      body: message.body,
      keys: [...message.keys],
      properties: new Map(Object.entries(message.properties)),
      ...(message.tag === undefined ? {} : { tag: message.tag }),
      ...(message.messageGroup === undefined ? {} : { messageGroup: message.messageGroup }),
      ...(message.deliverAt === undefined ? {} : { deliveryTimestamp: message.deliverAt }),
    });
  } catch (error) {
    throw new IdemError('MESSAGE_REJECTED', `message ${message.id} cannot be sent: ${rootMessage(error)}`, {
      retryable: false,
      cause: error,
    });
  }
}

/**
 * `shutdown()` stops before releasing the Telemetry streams and channels when
 * NotifyClientTermination fails (the client awaits that RPC before its cleanup, with no catch),
 * which it does whenever the broker is down:
 * the streams then reconnect every second and the process never exits. The goodbye is a
 * courtesy, so its failure is ignored and the release always happens.
 */
function releaseEvenIfUnreachable(producer: Producer): void {
  const manager = (producer as unknown as ClientInternals).rpcClientManager;
  const notify = manager.notifyClientTermination.bind(manager);
  manager.notifyClientTermination = (...args: unknown[]) => notify(...args).catch(() => undefined);
}

function rootMessage(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
