import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startMqHttpPeer } from '@idem/testing';
import { expect, it } from 'vitest';

const fixture = fileURLToPath(new URL('./fixtures/producer-process.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

it('a producer process sends through an outage and exits by itself after stop()', async () => {
  const peer = await startMqHttpPeer();
  try {
    const child = spawn(process.execPath, ['--conditions=@idem/source', '--import', 'tsx', fixture], {
      cwd: packageDir,
      env: {
        ...process.env,
        IDEM_TEST_ENDPOINT: peer.endpoint,
        IDEM_TEST_ACCESS_KEY_ID: peer.accessKeyId,
        IDEM_TEST_ACCESS_KEY_SECRET: peer.accessKeySecret,
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await expect.poll(() => output, { timeout: 60_000, interval: 50 }).toContain('ready');
    // The service goes down before the child sends: every message meets the outage.
    const outage = peer.outage({ ms: 4000, mode: 'refuse' });
    await outage.started;
    child.stdin.end('go\n');
    await outage.ended;
    await expect.poll(() => output, { timeout: 60_000, interval: 50 }).toMatch(/stopped|Error/);
    // After stop() nothing may keep the process alive: it ends on its own, well within seconds.
    const code = await Promise.race([
      exited,
      new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000).unref()),
    ]);
    if (code === 'still running') child.kill('SIGKILL');
    expect(code, output).toBe(0);
    expect(output).toContain(JSON.stringify(['sent', 'sent', 'sent', 'sent', 'sent']));
    const keys = peer.messages('orders').map((message) => message.properties.KEYS);
    for (let n = 0; n < 5; n++) expect(keys).toContain(`child-${n}`);
  } finally {
    await peer.stop();
  }
}, 90_000);
