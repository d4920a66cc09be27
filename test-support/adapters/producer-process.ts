import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import type { AdapterUnderTest } from './broker-under-test.js';

/**
 * A producer service as its own process (the adapter's test/fixtures/producer-process.ts) sends
 * through a broker outage and then ends by itself after stop(): nothing it leaves behind (a
 * retry timer, a keep-alive socket) may hold its event loop.
 */
export function itSendsThroughAnOutageFromAProcess(adapter: AdapterUnderTest): void {
  it(`a producer process of the ${adapter.name} adapter sends through a broker outage and exits by itself after stop()`, async () => {
    const broker = await adapter.startBroker();
    try {
      const fixture = fileURLToPath(new URL('test/fixtures/producer-process.ts', adapter.packageDir));
      // Raw spawn, not startConsumerProcess: the test writes the child's stdin to make it send.
      const child = spawn(process.execPath, ['--conditions=@idem/source', '--import', 'tsx', fixture], {
        cwd: fileURLToPath(adapter.packageDir),
        env: { ...process.env, ...broker.env },
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
      // The broker goes down before the child sends: every message meets the outage.
      const outage = broker.outage(4000);
      await outage.down;
      child.stdin.end('go\n');
      await outage.up;
      await expect.poll(() => output, { timeout: 60_000, interval: 50 }).toMatch(/stopped|Error/);
      // After stop() nothing may keep the process alive: it ends on its own, well within seconds.
      const code = await Promise.race([
        exited,
        new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 10_000).unref()),
      ]);
      if (code === 'still running') child.kill('SIGKILL');
      expect(code, output).toBe(0);
      expect(output).toContain(JSON.stringify(['sent', 'sent', 'sent', 'sent', 'sent']));
      const keys = broker.storedKeys('orders');
      for (let n = 0; n < 5; n++) expect(keys).toContain(`child-${n}`);
    } finally {
      await broker.stop();
    }
  }, 90_000);
}
