import type { Kysely } from 'kysely';
import type { HandlerRegistry } from '../handler-registry.js';
import type { Logger } from '../logger.js';
import type { IdemTables } from '../store/idem-tables.js';
import type {
  BatchStrategy,
  MessageGroupDeadLetterPolicy,
  PayloadMismatchPolicy,
} from './processor-policy-options.js';

/** The validated options and collaborators every dispatch reads; built once by `createProcessor`. */
export interface ProcessorSettings {
  /** The user's database, unscoped: Idem's statements add `withSchema(schema)` themselves. */
  readonly db: Kysely<IdemTables>;
  readonly schema: string;
  readonly registry: HandlerRegistry;
  readonly lockTimeoutMs: number;
  readonly maxAttempts: number;
  readonly onPayloadMismatch: PayloadMismatchPolicy;
  readonly onMessageGroupDeadLetter: MessageGroupDeadLetterPolicy;
  readonly batchStrategy: BatchStrategy;
  readonly logger: Logger;
}
