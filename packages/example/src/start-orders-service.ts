import type { ConsumerEvent, IdemConsumer, Logger } from '@idem/core';
import { createTcpConsumer, createTcpProducer } from '@idem/rocketmq-tcp';
import { InvoiceHandlers } from './invoice-handlers.js';
import { createOrdersDatabase } from './orders-database.js';
import { migrateOrdersDatabase } from './orders-migrations.js';

/** Where the service reads from and writes to. */
export interface OrdersServiceConfig {
  readonly databaseUrl: string;
  /** The RocketMQ 5 proxy's gRPC endpoint, `host:port`. */
  readonly rocketmqEndpoints: string;
  readonly namespace?: string;
  readonly credentials?: { readonly accessKey: string; readonly accessSecret: string };
  readonly logger?: Logger;
  readonly onEvent?: (event: ConsumerEvent) => void;
}

/** The running service. */
export interface OrdersService {
  readonly consumer: IdemConsumer;
  stop(): Promise<void>;
}

/**
 * Migrates the database and starts consuming order events. Invoice announcements (`ctx.send`)
 * leave through a producer on the same proxy right after each commit.
 */
export async function startOrdersService(config: OrdersServiceConfig): Promise<OrdersService> {
  const db = createOrdersDatabase(config.databaseUrl);
  try {
    await migrateOrdersDatabase(db);
    const access = {
      endpoint: config.rocketmqEndpoints,
      ...(config.namespace === undefined ? {} : { namespace: config.namespace }),
      ...(config.credentials === undefined
        ? {}
        : { accessKeyId: config.credentials.accessKey, accessKeySecret: config.credentials.accessSecret }),
      ...(config.logger === undefined ? {} : { logger: config.logger }),
    };
    const consumer = createTcpConsumer({
      ...access,
      consumerGroup: 'billing',
      db,
      handlers: [new InvoiceHandlers()],
      concurrency: 32,
      // The consumer starts and stops it, and its relay sends what a crash left unsent.
      producer: createTcpProducer(access),
      ...(config.onEvent === undefined ? {} : { onEvent: config.onEvent }),
    });
    await consumer.start();
    return {
      consumer,
      async stop() {
        await consumer.stop();
        await db.destroy();
      },
    };
  } catch (error) {
    await db.destroy();
    throw error;
  }
}
