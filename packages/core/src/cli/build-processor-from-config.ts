import { IdemError } from '../errors.js';
import type { loadIdemConfig } from '../operations/load-idem-config.js';
import { createProcessor, type Processor } from '../processor/create-processor.js';
import { pickProcessorPolicy } from '../processor/processor-policy-options.js';
import { CliUsageError } from './cli-io.js';

/** A processor with the handlers of the user's idem.config module, for replays and releases. */
export async function buildProcessorFromConfig(
  path: string,
  config: Awaited<ReturnType<typeof loadIdemConfig>>['config'],
  db: Parameters<typeof createProcessor>[0]['db'],
  schema: string,
): Promise<Processor> {
  try {
    const handlers = await config.handlers({ db, schema });
    // Every policy of the config, as the service's consumer has them; `schema` is the CLI's own
    // resolution (`--schema` wins over the config's).
    return createProcessor({
      ...pickProcessorPolicy(config),
      db,
      schema,
      handlers,
      consumerGroup: config.consumerGroup,
    });
  } catch (error) {
    const detail = error instanceof IdemError ? `${error.code}: ${error.message}` : String(error);
    throw new CliUsageError(`config file ${path} did not give usable handlers: ${detail}`);
  }
}
