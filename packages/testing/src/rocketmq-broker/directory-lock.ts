import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link withDirectoryLock}. */
export interface DirectoryLockOptions {
  /** Gives up waiting for another holder after this long. */
  readonly waitMs: number;
  /** A lock older than this is taken over even if its holder still runs (a hung Maven). */
  readonly staleMs: number;
}

/**
 * Runs `action` while holding an exclusive lock across processes, made of a directory that only
 * one `mkdir` can create. A lock whose holder process is gone, or that is older than `staleMs`,
 * is taken over, so a killed test run never blocks the next one. Resolves `undefined` when the
 * lock could not be taken within `waitMs`.
 */
export async function withDirectoryLock<T>(
  lockDir: string,
  options: DirectoryLockOptions,
  action: () => Promise<T>,
): Promise<{ readonly value: T } | undefined> {
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    try {
      await mkdir(lockDir);
    } catch (error) {
      if (!isAlreadyExists(error)) throw error;
      if (await isStale(lockDir, options.staleMs)) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) return undefined;
      await sleep(500);
      continue;
    }
    try {
      await writeFile(join(lockDir, 'pid'), String(process.pid));
      return { value: await action() };
    } finally {
      await rm(lockDir, { recursive: true, force: true });
    }
  }
}

async function isStale(lockDir: string, staleMs: number): Promise<boolean> {
  let ageMs: number;
  try {
    ageMs = Date.now() - (await stat(lockDir)).mtimeMs;
  } catch {
    // The holder has just released it: retry the mkdir.
    return false;
  }
  if (ageMs > staleMs) return true;
  const pid = Number(await readFile(join(lockDir, 'pid'), 'utf8').catch(() => ''));
  // No pid yet: the holder is between mkdir and writeFile, or died there.
  if (!Number.isInteger(pid) || pid <= 0) return ageMs > 5_000;
  return !isProcessAlive(pid);
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return !(typeof error === 'object' && error !== null && 'code' in error && error.code === 'ESRCH');
  }
}

function isAlreadyExists(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EEXIST';
}
