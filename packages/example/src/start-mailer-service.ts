import type { IdemConsumer } from '@idem/core';
import { createTcpConsumer } from '@idem/rocketmq-tcp';
import { MailerHandlers } from './mailer-handlers.js';
import { createOrdersDatabase } from './orders-database.js';
import { migrateOrdersDatabase } from './orders-migrations.js';
import type { OrdersServiceConfig } from './start-orders-service.js';

/** The running mailer. */
export interface MailerService {
  readonly consumer: IdemConsumer;
  stop(): Promise<void>;
}

/**
 * Migrates the database and starts consuming billing's invoice announcements, one e-mail per
 * invoice. A service of its own (group `mailer`); in this example it shares billing's database
 * to keep the setup small, and Idem keys its messages apart by consumer group.
 */
export async function startMailerService(config: OrdersServiceConfig): Promise<MailerService> {
  const db = createOrdersDatabase(config.databaseUrl);
  try {
    await migrateOrdersDatabase(db);
    const consumer = createTcpConsumer({
      endpoint: config.rocketmqEndpoints,
      consumerGroup: 'mailer',
      db,
      handlers: [new MailerHandlers()],
      concurrency: 32,
      ...(config.namespace === undefined ? {} : { namespace: config.namespace }),
      ...(config.credentials === undefined
        ? {}
        : { accessKeyId: config.credentials.accessKey, accessKeySecret: config.credentials.accessSecret }),
      ...(config.logger === undefined ? {} : { logger: config.logger }),
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
