import { createRequire } from 'node:module';
import type * as RocketMQ from 'rocketmq-client-nodejs';
import { within } from '../../../../test-support/within.js';

const require = createRequire(import.meta.url);
const rocketmq: typeof RocketMQ = require('rocketmq-client-nodejs');

/** One message for {@link RealProducer.sendAll}. */
export interface OutgoingMessage {
  readonly topic: string;
  readonly body: string | Buffer;
  readonly keys: readonly string[];
  readonly messageGroup?: string;
}

/** rocketmq-client-nodejs's real Producer, bounded against its hangs (startup waits forever without settings; shutdown hangs while the broker is gone). */
export interface RealProducer {
  /**
   * Sends every message, `concurrency` at a time (in order when 1), retrying each while the broker
   * is restarting; resolves with the message id of each send, in input order.
   */
  sendAll(
    messages: readonly OutgoingMessage[],
    options?: { concurrency?: number; onSent?: () => void },
  ): Promise<string[]>;
  shutdown(): Promise<void>;
}

const silent = { info() {}, debug() {}, warn() {}, error() {}, close() {} };

/** Starts a real Producer on `endpoints` for `topics` (their routes must exist). */
export async function startRealProducer(endpoints: string, topics: readonly string[]): Promise<RealProducer> {
  const producer = new rocketmq.Producer({ endpoints, namespace: '', topic: [...topics], logger: silent });
  try {
    await within(producer.startup(), 20_000, 'producer startup');
  } catch (error) {
    await within(producer.shutdown(), 10_000, 'producer shutdown').catch(() => {});
    throw error;
  }
  const sendOne = async (message: OutgoingMessage): Promise<string> => {
    const giveUpAt = Date.now() + 120_000;
    for (;;) {
      try {
        const receipt = await within(
          producer.send({
            topic: message.topic,
            keys: [...message.keys],
            body: typeof message.body === 'string' ? Buffer.from(message.body) : message.body,
            ...(message.messageGroup === undefined ? {} : { messageGroup: message.messageGroup }),
          }),
          10_000,
          'send',
        );
        return receipt.messageId;
      } catch (error) {
        if (Date.now() > giveUpAt) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  return {
    async sendAll(messages, { concurrency = 32, onSent } = {}) {
      const ids: string[] = new Array<string>(messages.length);
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < messages.length) {
          const index = next++;
          const message = messages[index];
          if (message !== undefined) {
            ids[index] = await sendOne(message);
            onSent?.();
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, messages.length) }, worker));
      return ids;
    },
    shutdown: () => within(producer.shutdown(), 20_000, 'producer shutdown').catch(() => {}),
  };
}
