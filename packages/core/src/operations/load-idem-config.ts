import { access } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { IdemError, toError } from '../errors.js';
import type { IdemConfig } from './idem-config.js';

/** The file names tried, in order, when no config path is given. */
export const DEFAULT_CONFIG_FILES: readonly string[] = ['idem.config.js', 'idem.config.mjs'];

/** A loaded config and where it came from. */
export interface LoadedIdemConfig {
  readonly path: string;
  readonly config: IdemConfig;
}

/**
 * Imports a service's config module (`path`, else `idem.config.js` or `.mjs` in `cwd`) and
 * checks its default export's shape.
 *
 * @throws IdemError `INVALID_CONFIGURATION` saying which file is missing, fails to load, or
 *   exports something else than `defineIdemConfig({ consumerGroup, handlers })`.
 */
export async function loadIdemConfig(path: string | undefined, cwd: string): Promise<LoadedIdemConfig> {
  const file = path === undefined ? await findDefault(cwd) : isAbsolute(path) ? path : resolve(cwd, path);
  if (!(await exists(file))) {
    throw new IdemError('INVALID_CONFIGURATION', `config file ${file} does not exist: pass --config <path>`);
  }
  let loaded: unknown;
  try {
    loaded = await import(pathToFileURL(file).href);
  } catch (error) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `config file ${file} failed to load: ${toError(error).message}`,
      {
        cause: error,
      },
    );
  }
  const config = (loaded as { default?: unknown }).default;
  const problem = describeProblem(config);
  if (problem !== undefined) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `config file ${file}: ${problem}; its default export must be defineIdemConfig({ consumerGroup: 'my-group', handlers: () => [new MyHandlers()] })`,
    );
  }
  return { path: file, config: config as IdemConfig };
}

async function findDefault(cwd: string): Promise<string> {
  for (const name of DEFAULT_CONFIG_FILES) {
    const candidate = resolve(cwd, name);
    if (await exists(candidate)) return candidate;
  }
  throw new IdemError(
    'INVALID_CONFIGURATION',
    `no config file: replaying needs your handlers, so create ${DEFAULT_CONFIG_FILES.join(' or ')} in ${cwd} (default export defineIdemConfig({ consumerGroup, handlers })) or pass --config <path>`,
  );
}

function describeProblem(config: unknown): string | undefined {
  if (typeof config !== 'object' || config === null) return 'it has no default export object';
  const { consumerGroup, handlers, schema, databaseUrl } = config as Record<string, unknown>;
  if (typeof consumerGroup !== 'string' || consumerGroup === '')
    return 'consumerGroup must be a non-empty string';
  if (typeof handlers !== 'function') return 'handlers must be a function returning your handler instances';
  if (schema !== undefined && typeof schema !== 'string') return 'schema must be a string';
  if (databaseUrl !== undefined && typeof databaseUrl !== 'string') return 'databaseUrl must be a string';
  return undefined;
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}
