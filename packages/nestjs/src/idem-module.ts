import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { IdemConsumers } from './idem-consumers.js';
import { IdemHandlerExplorer } from './idem-handler-explorer.js';
import { IdemHealthIndicator } from './idem-health-indicator.js';
import type { IdemModuleAsyncOptions, IdemModuleOptions } from './idem-module-options.js';
import { IDEM_DATABASE, IDEM_MODULE_OPTIONS } from './idem-tokens.js';
import { IdemTransaction } from './idem-transaction.js';
import { resolveIdemDatabase } from './resolve-idem-database.js';

const exported = [IDEM_DATABASE, IdemConsumers, IdemHealthIndicator, IdemTransaction];

/**
 * Runs Idem consumers inside a Nest application: every provider decorated with `@Consumer` is
 * discovered and served by the configured transports, which start on application bootstrap and
 * stop gracefully on shutdown. Global, so `IdemTransaction`, `IdemHealthIndicator` and
 * `IDEM_DATABASE` are injectable in every module; import it once, in the root module.
 */
@Module({})
// biome-ignore lint/complexity/noStaticOnlyClass: Nest modules are classes with static forRoot/forRootAsync by convention.
export class IdemModule {
  /**
   * Registers Idem with static options.
   *
   * @example
   * ```ts
   * IdemModule.forRoot({
   *   database: { connectionString: process.env.DATABASE_URL },
   *   transports: [{ kind: 'rocketmq-tcp', endpoints: '127.0.0.1:8081', consumerGroup: 'billing' }],
   * })
   * ```
   */
  static forRoot(options: IdemModuleOptions): DynamicModule {
    const database: Provider =
      'useExisting' in options.database
        ? { provide: IDEM_DATABASE, useExisting: options.database.useExisting }
        : { provide: IDEM_DATABASE, useFactory: () => resolveIdemDatabase(options) };
    return buildIdemModule([{ provide: IDEM_MODULE_OPTIONS, useValue: options }, database], []);
  }

  /**
   * Registers Idem with options from a factory, e.g. read from `ConfigService`.
   *
   * @example
   * ```ts
   * IdemModule.forRootAsync({
   *   imports: [ConfigModule],
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({
   *     database: { connectionString: config.getOrThrow('DATABASE_URL') },
   *     transports: [{ kind: 'rocketmq-tcp', endpoints: config.getOrThrow('ROCKETMQ_ENDPOINTS'), consumerGroup: 'billing' }],
   *   }),
   * })
   * ```
   */
  static forRootAsync(options: IdemModuleAsyncOptions): DynamicModule {
    return buildIdemModule(
      [
        {
          provide: IDEM_MODULE_OPTIONS,
          useFactory: options.useFactory as (
            ...args: unknown[]
          ) => IdemModuleOptions | Promise<IdemModuleOptions>,
          inject: [...(options.inject ?? [])],
        },
        { provide: IDEM_DATABASE, useFactory: resolveIdemDatabase, inject: [IDEM_MODULE_OPTIONS] },
      ],
      options.imports ?? [],
    );
  }
}

function buildIdemModule(
  providers: Provider[],
  imports: NonNullable<DynamicModule['imports']>,
): DynamicModule {
  return {
    module: IdemModule,
    global: true,
    imports: [DiscoveryModule, ...imports],
    providers: [...providers, IdemHandlerExplorer, IdemTransaction, IdemConsumers, IdemHealthIndicator],
    exports: exported,
  };
}
