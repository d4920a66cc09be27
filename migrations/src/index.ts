/**
 * Idem's database schema as kysely migrations.
 *
 * The migrations are plain objects imported statically, so a bundled or published
 * `@idem/core` carries them without reading files from disk. Every migration takes the
 * schema name, so one database can hold Idem's tables for several services.
 */
import type { Migration } from 'kysely/migration';
import { initialSchema } from './0001-initial-schema.js';
import { messageGroupQuarantine } from './0002-message-group-quarantine.js';
import { hostileInput } from './0003-hostile-input.js';
import { outbox } from './0004-outbox.js';
import { slicedProcessedMessages } from './0005-sliced-processed-messages.js';
import { oldVersionClaims } from './0006-old-version-claims.js';
import { plainClaimInsert } from './0007-plain-claim-insert.js';

export { OUTBOX_CHANNEL } from './0004-outbox.js';
export { claimLockClass } from './processed-message-functions.js';

/**
 * Idem's migrations keyed by name; names sort in the order they must run.
 *
 * @param schema - the Postgres schema that holds Idem's tables (created when missing).
 */
export function idemMigrations(schema: string): Record<string, Migration> {
  return {
    '0001-initial-schema': initialSchema(schema),
    '0002-message-group-quarantine': messageGroupQuarantine(schema),
    '0003-hostile-input': hostileInput(schema),
    '0004-outbox': outbox(schema),
    '0005-sliced-processed-messages': slicedProcessedMessages(schema),
    '0006-old-version-claims': oldVersionClaims(schema),
    '0007-plain-claim-insert': plainClaimInsert(schema),
  };
}
