import { IdemModule } from '@idem/nestjs';
import { Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { TerminusModule } from '@nestjs/terminus';
import type { Kysely } from 'kysely';
import { DatabaseModule } from './database/database.module.js';
import { WAREHOUSE_DATABASE } from './database/warehouse-database.js';
import { HealthController } from './health/health.controller.js';
import { ShipmentsModule } from './shipments/shipments.module.js';
import { readWarehouseConfig } from './warehouse-config.js';

/** The warehouse service: Idem consumes order events into the shipments module's handlers. */
@Module({
  imports: [
    ConfigModule.forRoot({ isGlobal: true }),
    DatabaseModule,
    IdemModule.forRootAsync({
      inject: [ConfigService, WAREHOUSE_DATABASE],
      useFactory: (config: ConfigService, db: Kysely<unknown>) => {
        const settings = readWarehouseConfig(config);
        return {
          // The application's pool: Idem uses it and leaves closing it to DatabaseModule.
          database: { instance: db },
          schema: settings.idemSchema,
          transports: [
            {
              kind: 'rocketmq-tcp',
              endpoint: settings.rocketmqEndpoints,
              consumerGroup: 'warehouse',
              invisibleDurationMs: settings.invisibleDurationMs,
            },
          ],
        };
      },
    }),
    ShipmentsModule,
    TerminusModule,
  ],
  controllers: [HealthController],
})
export class AppModule {}
