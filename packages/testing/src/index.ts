/**
 * `@idem/testing`: real parts for testing Idem consumers, yours and ours.
 *
 * @packageDocumentation
 */
export {
  type EmbeddedPostgresOptions,
  type EmbeddedPostgresServer,
  startEmbeddedPostgres,
} from './embedded-postgres/start-embedded-postgres.js';
