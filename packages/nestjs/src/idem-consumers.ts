import { IdemError } from '@idem/core';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { Kysely } from 'kysely';
import { assignHandlers } from './assign-handlers.js';
import { createTransportConsumer, type RunningConsumer } from './create-transport-consumer.js';
import { IdemHandlerExplorer } from './idem-handler-explorer.js';
import type { IdemModuleOptions } from './idem-module-options.js';
import { IDEM_DATABASE, IDEM_MODULE_OPTIONS } from './idem-tokens.js';
import { IdemTransaction } from './idem-transaction.js';

/**
 * The consumers of the application, tied to Nest's lifecycle: created and started on
 * application bootstrap (after every module's `onModuleInit`, so migrations run there are done),
 * stopped gracefully when the application closes, finishing and acking in-flight messages before
 * any other module's `onModuleDestroy` can close what the handlers use.
 */
@Injectable()
export class IdemConsumers
  implements OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown, OnApplicationShutdown
{
  #consumers: readonly RunningConsumer[] = [];
  #starting: Promise<void> | undefined;
  #stopping: Promise<void> | undefined;

  constructor(
    @Inject(IDEM_MODULE_OPTIONS) private readonly options: IdemModuleOptions,
    @Inject(IDEM_DATABASE) private readonly db: Kysely<unknown>,
    @Inject(IdemHandlerExplorer) private readonly explorer: IdemHandlerExplorer,
    @Inject(IdemTransaction) private readonly transaction: IdemTransaction,
  ) {}

  /** The running consumers (empty before bootstrap and after shutdown). */
  get consumers(): readonly RunningConsumer[] {
    return this.#consumers;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.options.autoStart !== false) await this.start();
  }

  /**
   * Discovers the handlers, creates a consumer per transport and starts them all. When one fails
   * to start, those already started are stopped and the error is thrown, so the application
   * does not run half-consuming.
   */
  start(): Promise<void> {
    if (this.#stopping !== undefined) {
      return Promise.reject(
        new IdemError('INVALID_CONFIGURATION', 'Idem consumers cannot restart after shutdown'),
      );
    }
    this.#starting ??= this.#start();
    return this.#starting;
  }

  async #start(): Promise<void> {
    const handlers = this.explorer.explore().map((handler) => this.transaction.bind(handler));
    const assignments = assignHandlers(this.options.transports, handlers);
    const created: RunningConsumer[] = [];
    try {
      for (const [index, transport] of this.options.transports.entries()) {
        created.push(
          await createTransportConsumer(transport, assignments[index] ?? [], this.db, this.options),
        );
      }
      this.#consumers = created;
      await Promise.all(created.map((consumer) => consumer.start()));
    } catch (error) {
      await Promise.allSettled(created.map((consumer) => consumer.stop()));
      this.#consumers = [];
      throw error;
    }
  }

  /** Stops every consumer: no new receives, in-flight messages finish and are acked. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }

  async #stop(): Promise<void> {
    // Stop first, then wait for a start in progress: a consumer waiting for Postgres at start
    // ends that wait only when stopped, so waiting for the start first would hang the
    // application's shutdown until Postgres is back. Consumers created by a start that was
    // still under way are stopped once it settled.
    const early = Promise.allSettled(this.#consumers.map((consumer) => consumer.stop()));
    await this.#starting?.catch(() => undefined);
    const results = [
      ...(await early),
      ...(await Promise.allSettled(this.#consumers.map((consumer) => consumer.stop()))),
    ];
    this.#consumers = [];
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  // The earliest shutdown hook: Idem's module is global, so Nest destroys it before the modules
  // whose services the handlers call.
  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Destroys the database pool when the module created it (a `connectionString` option). */
  async onApplicationShutdown(): Promise<void> {
    await this.stop();
    if ('connectionString' in this.options.database) await this.db.destroy();
  }
}
