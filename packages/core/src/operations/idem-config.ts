import type { Kysely } from 'kysely';
import type { ProcessorPolicyOptions } from '../processor/processor-policy-options.js';

/** What a config's `handlers` function receives: the CLI's database, to build handlers on. */
export interface IdemConfigContext {
  readonly db: Kysely<unknown>;
  /** The Postgres schema of Idem's tables the CLI works on. */
  readonly schema: string;
}

/**
 * The `idem.config.js` of a service: what the operator CLI needs to run the service's handlers
 * (to replay dead letters after a fix) without starting a consumer. It takes every
 * {@link ProcessorPolicyOptions} (`schema`, `maxAttempts`, `onPayloadMismatch`,
 * `onMessageGroupDeadLetter`...): set them as the service's consumer does, so a replay treats
 * messages as the service would.
 */
export interface IdemConfig extends ProcessorPolicyOptions {
  /** The consumer group whose dead letters are replayed; its handlers' idempotency scope. */
  readonly consumerGroup: string;
  /**
   * Builds the instances of your `@Consumer` classes, as the service does. Use `context.db` for
   * any database access, so the CLI can close everything when done.
   */
  readonly handlers: (context: IdemConfigContext) => readonly object[] | Promise<readonly object[]>;
  /** The Postgres schema of Idem's tables. Default `idem`; `--schema` wins. */
  readonly schema?: string;
  /** Default database; `--database-url` wins, then this, then `DATABASE_URL`. */
  readonly databaseUrl?: string;
}

/**
 * Declares a service's Idem config for the `idem` CLI, typed. Returns its argument unchanged;
 * export the result as the module's default export.
 *
 * @example
 * ```ts
 * // idem.config.js
 * import { defineIdemConfig } from '@idem/core';
 * import { OrderHandlers } from './dist/order-handlers.js';
 *
 * export default defineIdemConfig({
 *   consumerGroup: 'billing',
 *   handlers: () => [new OrderHandlers()],
 * });
 * ```
 */
export function defineIdemConfig(config: IdemConfig): IdemConfig {
  return config;
}
