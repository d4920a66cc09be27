import type { ConfigService } from '@nestjs/config';

/** The service's settings, read once from `ConfigService` (environment variables by default). */
export interface WarehouseConfig {
  readonly databaseUrl: string;
  /** The RocketMQ 5 proxy's gRPC endpoint, `host:port`. */
  readonly rocketmqEndpoints: string;
  /** The Postgres schema of Idem's tables. Default `idem`. */
  readonly idemSchema: string;
  /** How long a received message stays invisible to other consumers. Default 30 s. */
  readonly invisibleDurationMs: number;
}

/** Reads {@link WarehouseConfig}; throws naming the first missing variable. */
export function readWarehouseConfig(config: ConfigService): WarehouseConfig {
  return {
    databaseUrl: config.getOrThrow<string>('DATABASE_URL'),
    rocketmqEndpoints: config.getOrThrow<string>('ROCKETMQ_ENDPOINTS'),
    idemSchema: config.get<string>('IDEM_SCHEMA') ?? 'idem',
    invisibleDurationMs: Number(config.get<string>('ROCKETMQ_INVISIBLE_DURATION_MS') ?? 30_000),
  };
}
