import { startEmbeddedPostgres } from '@idem/testing';
import type { TestProject } from 'vitest/node';

import './provided-context.js';

/**
 * Gives the test run one Postgres server: `DATABASE_URL` when set, else an embedded server
 * started here and stopped after the run.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fromEnvironment = process.env.DATABASE_URL;
  if (fromEnvironment !== undefined && fromEnvironment !== '') {
    project.provide('databaseUrl', fromEnvironment);
    return async () => {};
  }
  const server = await startEmbeddedPostgres();
  console.warn(`DATABASE_URL is not set: the tests use an embedded Postgres on port ${server.port}`);
  project.provide('databaseUrl', server.url);
  return async () => {
    await server.stop();
  };
}
