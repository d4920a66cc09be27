import { createRequire } from 'node:module';
import { IdemError } from '../errors.js';

/** The `prom-client` module, an optional peer dependency of `@idem/core`. */
export type PromClient = typeof import('prom-client');

/**
 * Loads `prom-client` on first use, so `@idem/core` imports fine without it and only metrics
 * need it; a missing install becomes a coded error saying what to do.
 */
export function loadPromClient(): PromClient {
  try {
    return createRequire(import.meta.url)('prom-client') as PromClient;
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'MODULE_NOT_FOUND') throw error;
    throw new IdemError(
      'INVALID_CONFIGURATION',
      'Idem metrics need prom-client, an optional peer dependency of @idem/core: install it (npm install prom-client)',
      { cause: error },
    );
  }
}
