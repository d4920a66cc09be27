import { createDatabase } from '@idem/core';
import { Global, Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Kysely } from 'kysely';
import { readWarehouseConfig } from '../warehouse-config.js';
import { migrateWarehouseDatabase } from './migrate-warehouse-database.js';
import { WAREHOUSE_DATABASE, type WarehouseDatabase } from './warehouse-database.js';

/**
 * The application's database: one pool for the repositories and for Idem. Migrates on module
 * init, which Nest finishes before any application-bootstrap hook, so the consumers start on
 * migrated tables; closes the pool last, after Idem's consumers drained.
 */
@Global()
@Module({
  providers: [
    {
      provide: WAREHOUSE_DATABASE,
      inject: [ConfigService],
      useFactory: (config: ConfigService) =>
        createDatabase<WarehouseDatabase>({ connectionString: readWarehouseConfig(config).databaseUrl }),
    },
  ],
  exports: [WAREHOUSE_DATABASE],
})
export class DatabaseModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    @Inject(WAREHOUSE_DATABASE) private readonly db: Kysely<WarehouseDatabase>,
    @Inject(ConfigService) private readonly config: ConfigService,
  ) {}

  async onModuleInit(): Promise<void> {
    await migrateWarehouseDatabase(this.db, readWarehouseConfig(this.config).idemSchema);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.db.destroy();
  }
}
