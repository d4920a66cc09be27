import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** How long a process that printed `stopped` may take to end; it needs milliseconds. */
const EXIT_WITHIN_MS = 5000;

describe('the RocketMQ peer in a process of its own', () => {
  it('lets the process end when it is stopped under an open long poll', async () => {
    const script = fileURLToPath(
      new URL('./fixtures/peer-stopped-under-long-poll-process.ts', import.meta.url),
    );
    const child = spawn(process.execPath, ['--conditions=@idem/source', '--import', 'tsx', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await expect
      .poll(() => output.includes('stopped') || child.exitCode !== null, { timeout: 60_000 })
      .toBe(true);
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'still running'>((resolve) => {
      timer = setTimeout(() => resolve('still running'), EXIT_WITHIN_MS);
    });
    const outcome = await Promise.race([exited, gaveUp]);
    clearTimeout(timer);
    // A process spinning in Node's handle cleanup has printed `exit 0` and never ends.
    if (outcome === 'still running') child.kill('SIGKILL');
    expect(outcome, output).toBe(0);
    expect(output).toContain('exit 0');
  }, 90_000);
});
