import { createDatabase, IdemError } from '@idem/core';
import type { Kysely } from 'kysely';
import type { IdemModuleOptions } from './idem-module-options.js';
import { nestLoggerBridge } from './nest-logger-bridge.js';

/**
 * The kysely instance for the options' `database`: created from a connection string, or the
 * application's own instance. `useExisting` is resolved by Nest itself (an alias provider), so
 * here it can only mean it came from `forRootAsync`'s factory, where a token is too late.
 */
export function resolveIdemDatabase(options: IdemModuleOptions): Kysely<unknown> {
  const { database } = options;
  if ('instance' in database) return database.instance;
  if ('connectionString' in database) {
    return createDatabase<unknown>({ logger: options.logger ?? nestLoggerBridge(), ...database });
  }
  throw new IdemError(
    'INVALID_CONFIGURATION',
    '`database: { useExisting }` works in IdemModule.forRoot only; in forRootAsync, add the token to `inject` and return `database: { instance }` from the factory',
  );
}
