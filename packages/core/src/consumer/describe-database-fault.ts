import type { IdemError } from '../errors.js';
import type { OutageWording } from './outage-tracker.js';

/**
 * Words the log lines of a database fault that pauses consumption after its real cause: an
 * operator who reads "Postgres is unreachable" checks the network, while a dropped table needs
 * `idem migrate` or a restore and a missing privilege a GRANT. The driver's message leads, in
 * parentheses, so the line names the table, schema or privilege.
 */
export function describeDatabaseFault(error: IdemError): OutageWording {
  const cause =
    error.cause instanceof Error && error.cause.message !== '' ? error.cause.message : error.message;
  switch (error.code) {
    case 'DATABASE_UNAVAILABLE':
      return {
        down: `Postgres is unreachable (${cause}); consumption paused, retrying quietly until it is back`,
        up: 'Postgres is reachable',
      };
    case 'SCHEMA_NOT_MIGRATED':
      return {
        down: `Idem's tables are missing (${cause}); Postgres answers, consumption paused until they are back: run \`idem migrate\` (or restore them if the migrations are recorded as applied)`,
        up: "Idem's tables are usable",
      };
    case 'PERMISSION_DENIED':
      return {
        down: `the database role lacks a privilege on Idem's tables (${cause}); Postgres answers, consumption paused until it is granted: \`idem doctor\` lists the GRANTs`,
        up: "Idem's tables are usable",
      };
    default:
      return {
        down: `Idem's statements fail (${error.code}: ${cause}); Postgres answers, consumption paused, retrying quietly`,
        up: "Idem's statements succeed",
      };
  }
}
