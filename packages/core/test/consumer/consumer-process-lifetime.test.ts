import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { useTestDatabase } from '../support/test-database.js';

const fixture = fileURLToPath(new URL('./fixtures/unreachable-broker-process.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Issue 11: the runtime itself holds a started consumer's process, whatever the broker client
 * does. (The adapters' own child-process tests cover each transport; the gRPC client happens to
 * hold the process by itself, so only this test shows the runtime's hold for both.) Runs in a
 * child process (@idem/testing's startConsumerProcess cannot be used from core: it depends on core).
 */
describe('a started consumer runtime in its own process', () => {
  const database = useTestDatabase();

  it('keeps the process up while the broker is unreachable and lets it end by itself after stop()', async () => {
    const { url, schema } = database();
    const child = spawn(process.execPath, ['--conditions=@idem/source', '--import', 'tsx', fixture], {
      cwd: packageDir,
      env: { ...process.env, IDEM_TEST_DATABASE_URL: url, IDEM_TEST_SCHEMA: schema },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        exit = { code, signal };
        resolve();
      });
    });
    try {
      // Receives fail, the outage is reported, and the runtime retries with backoff (100 ms
      // growing to 2 s): six retries are several backoff timers after the last socket went away.
      await vi.waitFor(
        () => {
          expect(exit, output).toBeUndefined();
          expect(output).toMatch(/^receive 6$/m);
        },
        { timeout: 45_000, interval: 100 },
      );
      expect(output).toMatch(/^WARN the broker \(a broker that went away\) is unreachable/m);

      child.kill('SIGTERM');
      await exited;
      expect(exit, output).toEqual({ code: 0, signal: null });
      expect(output).toMatch(/^stopped$/m);
    } finally {
      if (exit === undefined) child.kill('SIGKILL');
    }
  }, 60_000);
});
