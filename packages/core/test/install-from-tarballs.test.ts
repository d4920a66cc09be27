import { randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { readInstallGuide } from './support/install-guide.js';
import { outsideEnvironment, runCommand } from './support/run-command.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const GUIDE = 'docs/getting-started.md';
const PUBLIC_PACKAGES = ['core', 'nestjs', 'rocketmq-http', 'rocketmq-tcp', 'testing'];

/**
 * Runs in the fresh project next to the page's program: starts the gRPC peer from the installed
 * @idem/testing, runs the program as its own process, and prints the peer's counters once the
 * group has acked everything, injected duplicates included.
 */
const PEER_HARNESS = `import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { startRocketMQPeer } from '@idem/testing';

const peer = await startRocketMQPeer();
// Every delivery is followed by a duplicate, as during a broker upgrade.
peer.duplicateDeliveries(1);
peer.publish({
  topic: 'orders',
  tag: 'created',
  keys: ['order-1'],
  body: JSON.stringify({ orderId: 'order-1', amount: 42 }),
});
const service = spawn(process.execPath, ['dist/src/main.js'], {
  env: { ...process.env, ROCKETMQ_ENDPOINTS: peer.endpoints },
  stdio: ['ignore', 'inherit', 'inherit'],
});
const exited = once(service, 'exit');
try {
  await Promise.race([
    peer.idle('billing', { timeoutMs: 60_000 }),
    exited.then(([code]) => Promise.reject(new Error('the service exited early with ' + String(code)))),
  ]);
} finally {
  service.kill('SIGTERM');
}
const [code, signal] = await exited;
const stats = peer.stats().groups['billing'];
await peer.stop();
console.log(JSON.stringify({ code, signal, stats }));
`;

/**
 * Imports every installed @idem package and prints the distinct files each entry of `@idem/core`
 * (the root and its subpaths) resolves to from each.
 */
const CORE_COPIES = `import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
const from = ['.', '@idem/rocketmq-tcp', '@idem/rocketmq-http', '@idem/nestjs'];
const copies = new Set();
for (const name of from) {
  if (name !== '.') await import(name);
  const base = name === '.' ? process.cwd() + '/package.json' : createRequire(process.cwd() + '/').resolve(name + '/package.json');
  for (const entry of ['@idem/core', '@idem/core/adapter', '@idem/core/integration']) {
    copies.add(createRequire(base).resolve(entry));
  }
}
console.log(JSON.stringify([...copies].map((file) => realpathSync(file))));
`;

/** A database of its own on the run's Postgres server, so the program's `idem` schema is its alone. */
async function createScratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const serverUrl = inject('databaseUrl');
  const name = `idem_install_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}

describe('installing Idem outside this repository from the packed tarballs', () => {
  let project = '';
  let database: { url: string; drop(): Promise<void> } | undefined;

  beforeAll(async () => {
    // The system temp dir, never inside this workspace: pnpm must not see our workspace file.
    project = await realpath(await mkdtemp(join(tmpdir(), 'idem-install-')));
    database = await createScratchDatabase();
  });

  afterAll(async () => {
    if (project !== '') await rm(project, { recursive: true, force: true });
    await database?.drop();
  });

  it('installs with the commands of the getting-started page and runs its program exactly once per message', async () => {
    const guide = readInstallGuide(await readFile(join(root, GUIDE), 'utf8'), GUIDE);
    const env = outsideEnvironment({ DATABASE_URL: database?.url ?? '' });

    // pack:all builds first, so the test needs no prior `pnpm build`.
    await runCommand('pnpm', ['pack:all'], { cwd: root, env: process.env });
    const tarballs = (await readdir(join(root, 'dist-packages'))).sort();
    expect(tarballs).toEqual(PUBLIC_PACKAGES.map((name) => `idem-${name}-0.1.0.tgz`));

    await cp(join(root, 'dist-packages'), join(project, 'dist-packages'), { recursive: true });
    const manifest = { name: 'idem-install-check', private: true, type: 'module' };
    await writeFile(join(project, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await writeFile(join(project, 'pnpm-workspace.yaml'), `${guide.workspaceYaml}\n`);
    await writeFile(join(project, 'tsconfig.json'), `${guide.tsconfig}\n`);
    for (const [command, ...args] of guide.commands) {
      await runCommand(command ?? 'pnpm', args, { cwd: project, env });
    }

    // No overrides: every @idem/* dependency resolved to a tarball, nothing from the registry.
    const installed = JSON.parse(await readFile(join(project, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      overrides?: unknown;
      pnpm?: unknown;
    };
    expect(installed.overrides).toBeUndefined();
    expect(installed.pnpm).toBeUndefined();
    expect(installed.dependencies['@idem/core']).toMatch(/^file:.*idem-core-0\.1\.0\.tgz$/);
    expect(await readFile(join(project, 'pnpm-workspace.yaml'), 'utf8')).not.toMatch(/overrides/);

    // The other two tarballs, added later as a user would: each plugin links the one copy of core.
    const plugins = ['rocketmq-http', 'nestjs'].map((name) => `./dist-packages/idem-${name}-0.1.0.tgz`);
    const nestPeers = ['@nestjs/common@^12', '@nestjs/core@^12', 'reflect-metadata', 'rxjs'];
    await runCommand('pnpm', ['add', ...plugins, ...nestPeers], { cwd: project, env });
    const resolved = await runCommand(process.execPath, ['--input-type=module', '-e', CORE_COPIES], {
      cwd: project,
      env,
    });
    // One copy of core, and each of its entries is a file of that copy.
    const coreDist = await realpath(join(project, 'node_modules/@idem/core/dist'));
    expect(JSON.parse(resolved.stdout)).toEqual(
      ['index.js', 'adapter.js', 'integration.js'].map((file) => join(coreDist, file)),
    );

    await writeSources(project, guide.program);
    await runCommand('pnpm', ['exec', 'tsc', '-p', '.'], { cwd: project, env });

    await createInvoicesTable(database?.url ?? '');
    const run = await runCommand(process.execPath, ['dist/src/run-against-peer.js'], { cwd: project, env });
    const report = JSON.parse(run.stdout.trim().split('\n').at(-1) ?? '{}') as {
      code: number | null;
      stats: { deliveries: number; duplicatesInjected: number; acks: number };
    };
    // The service stopped on SIGTERM by itself: nothing it started kept the process alive.
    expect(report.code).toBe(0);
    expect(report.stats.duplicatesInjected).toBeGreaterThanOrEqual(1);
    expect(report.stats.acks).toBe(report.stats.deliveries);

    const rows = await queryRows(database?.url ?? '');
    expect(rows.invoices).toEqual([{ order_id: 'order-1', amount: 42 }]);
    expect(rows.processed).toBe(1);
  }, 180_000);
});

async function writeSources(project: string, program: string): Promise<void> {
  const src = join(project, 'src');
  await mkdir(src, { recursive: true });
  await writeFile(join(src, 'main.ts'), program);
  await writeFile(join(src, 'run-against-peer.ts'), PEER_HARNESS);
}

async function createInvoicesTable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  // No unique constraint on purpose: a second effect of the same message would be a second row.
  await client.query('create table invoices (order_id text not null, amount double precision not null)');
  await client.end();
}

async function queryRows(url: string): Promise<{ invoices: unknown[]; processed: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const invoices = await client.query('select order_id, amount from invoices');
    const processed = await client.query<{ count: string }>(
      'select count(*) from idem.processed_keys where consumer_group = $1',
      ['billing'],
    );
    return { invoices: invoices.rows, processed: Number(processed.rows[0]?.count) };
  } finally {
    await client.end();
  }
}
