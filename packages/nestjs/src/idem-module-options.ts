import type {
  DatabaseOptions,
  DispatchInstrumentation,
  IdemMetrics,
  Logger,
  ProcessorPolicyOptions,
} from '@idem/core';
import type { HttpConsumerOptions } from '@idem/rocketmq-http';
import type { TcpConsumerOptions } from '@idem/rocketmq-tcp';
import type { InjectionToken, ModuleMetadata, OptionalFactoryDependency, Type } from '@nestjs/common';
import type { Kysely } from 'kysely';

/** What the module supplies to every consumer itself: the database and the discovered handlers. */
type SuppliedByModule = 'db' | 'handlers';

/** Options every transport shares beside its adapter's own. */
interface TransportCommonOptions {
  /**
   * The handler classes this transport serves. Default: every discovered `@Consumer` provider
   * whose `@Consumer({ group })` is this transport's `consumerGroup`, or that names no group,
   * unless another transport names the class here.
   */
  readonly handlers?: readonly Type<object>[];
  /** The consumer's name in health reports. Default `<kind>:<consumerGroup>`. */
  readonly name?: string;
}

/**
 * A RocketMQ 5 gRPC consumer (`@idem/rocketmq-tcp`): its options without `db` and `handlers`.
 * Give it a `producer` (e.g. `createTcpProducer`) for `ctx.send`: each transport owns its producer
 * (the consumer starts and stops it), so two transports need two producers.
 */
export interface IdemTcpTransportOptions
  extends Omit<TcpConsumerOptions, SuppliedByModule>,
    TransportCommonOptions {
  readonly kind: 'rocketmq-tcp';
}

/** An ApsaraMQ HTTP consumer (`@idem/rocketmq-http`): its options without `db` and `handlers`. */
export interface IdemHttpTransportOptions
  extends Omit<HttpConsumerOptions, SuppliedByModule>,
    TransportCommonOptions {
  readonly kind: 'rocketmq-http';
}

/** One consumer the module runs. */
export type IdemTransportOptions = IdemTcpTransportOptions | IdemHttpTransportOptions;

/**
 * Where Idem's kysely instance comes from:
 * - `{ connectionString, ... }`: the module creates it with `createDatabase` and destroys it on
 *   shutdown, after the consumers stopped;
 * - `{ instance }`: yours (e.g. injected into `forRootAsync`'s factory); never destroyed by Idem;
 * - `{ useExisting: token }` (`forRoot` only): a provider of your application, visible from
 *   IdemModule (exported by a global module); never destroyed.
 */
export type IdemDatabaseOption =
  | DatabaseOptions
  | { readonly instance: Kysely<unknown> }
  | { readonly useExisting: InjectionToken };

/**
 * Options of `IdemModule.forRoot`, or what `forRootAsync`'s factory returns. Every processor
 * policy (`schema`, `lockTimeoutMs`, `maxAttempts`, `onPayloadMismatch`,
 * `onMessageGroupDeadLetter`...) can be set here as a default for every transport; a
 * transport's own value wins.
 */
export interface IdemModuleOptions extends ProcessorPolicyOptions {
  readonly database: IdemDatabaseOption;
  /** The consumers to run; at least one. */
  readonly transports: readonly IdemTransportOptions[];
  /** Idem's Prometheus metrics: each consumer counts through its hooks and is watched for health. */
  readonly metrics?: IdemMetrics;
  /** Runs around every dispatch, e.g. `createTracingInstrumentation()`. */
  readonly instrumentation?: DispatchInstrumentation;
  /** Default logger of every transport (pino-compatible). Default: Nest's `Logger`, context `Idem`. */
  readonly logger?: Logger;
  /** Start the consumers on application bootstrap. Default true; else call `IdemConsumers.start()`. */
  readonly autoStart?: boolean;
}

/** Options of `IdemModule.forRootAsync`: the options come from a factory with injected dependencies. */
export interface IdemModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  readonly useFactory: (...args: never[]) => IdemModuleOptions | Promise<IdemModuleOptions>;
  readonly inject?: readonly (InjectionToken | OptionalFactoryDependency)[];
}
