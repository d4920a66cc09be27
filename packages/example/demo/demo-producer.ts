import { Producer } from 'rocketmq-client-nodejs';
import type { OrderCreated, OrderPaid } from '../src/invoice-handlers.js';

const quiet = { info() {}, warn() {}, error() {}, debug() {}, close() {} };

/** The order service's side of the demo: publishes order events and re-sends on failure. */
export interface DemoProducer {
  /** Sends until the broker accepts; returns how many sends it took. */
  sendCreated(order: OrderCreated): Promise<number>;
  sendPaid(paid: OrderPaid): Promise<number>;
  stop(): Promise<void>;
}

/** Starts a real rocketmq-client-nodejs Producer. */
export async function startDemoProducer(
  endpoints: string,
  access: { namespace: string; credentials: { accessKey: string; accessSecret: string } | undefined } = {
    namespace: '',
    credentials: undefined,
  },
): Promise<DemoProducer> {
  const producer = new Producer({
    endpoints,
    namespace: access.namespace,
    topic: 'orders',
    logger: quiet,
    maxAttempts: 3,
    ...(access.credentials === undefined ? {} : { sessionCredentials: access.credentials }),
  });
  await producer.startup();
  // Like a real service, re-send a business event until the broker takes it. A send that timed
  // out may have been stored anyway: the re-send is a duplicate with a new message id, which
  // Idem recognises by the key (a "producer re-send").
  const sendUntilAccepted = async (tag: string, key: string, body: unknown): Promise<number> => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        await producer.send({ topic: 'orders', tag, keys: [key], body: Buffer.from(JSON.stringify(body)) });
        return attempt;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  };
  return {
    sendCreated: (order) => sendUntilAccepted('created', order.orderId, order),
    sendPaid: (paid) => sendUntilAccepted('paid', `paid:${paid.orderId}`, paid),
    async stop() {
      await producer.shutdown().catch(() => {});
    },
  };
}
