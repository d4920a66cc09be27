import { type ChildProcess, spawn } from 'node:child_process';

/** How a process ended: its exit code, or the signal that ended it. */
export interface ConsumerProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of {@link startConsumerProcess}. */
export interface ConsumerProcessOptions {
  /** Path of the service script, run as `node <nodeArgs> <script>`. */
  readonly script: string;
  /** Node options before the script, e.g. `['--import', 'tsx']` for a TypeScript script. None by default. */
  readonly nodeArgs?: readonly string[];
  /** Working directory of the process; this process's by default. */
  readonly cwd?: string;
  /** Added to this process's environment. */
  readonly env?: Readonly<Record<string, string>>;
  /** The stdout line the script prints once it consumes (after `await consumer.start()`). `ready` by default. */
  readonly readyLine?: string;
  /** How long to wait for the ready line before the process is killed and the start rejects. 60 000 ms by default. */
  readonly readyTimeoutMs?: number;
  /** Called with each complete stdout line as it arrives. */
  readonly onLine?: (line: string) => void;
  /** Whether `output()` keeps a stdout line (leave out high-volume event lines). Every line by default. */
  readonly keepLine?: (line: string) => boolean;
}

/** A consumer service running as an OS process of its own. */
export interface ConsumerProcess {
  readonly process: ChildProcess;
  /** Everything the process printed on stdout (the lines `keepLine` kept) and stderr. */
  output(): string;
  /** How the process ended, or `undefined` while it runs: check it after an outage. */
  exit(): ConsumerProcessExit | undefined;
  /** Resolves once the process has ended. */
  readonly exited: Promise<ConsumerProcessExit>;
  /**
   * Sends SIGTERM, as an orchestrator does, and resolves once the process has ended by itself,
   * with how long that took. Does not kill it harder: a process that never ends keeps the
   * promise pending, and the test's own timeout says so.
   */
  terminate(): Promise<ConsumerProcessExit & { readonly stopMs: number }>;
}

/**
 * Runs a consumer service script as a separate process and resolves once it prints its ready
 * line, so a test sees what production sees: whether the process stays up through an outage
 * and ends by itself after `stop()`. A consumer inside the test runner's process cannot show
 * either, because the runner keeps the event loop alive.
 *
 * Rejects, with everything the process printed, if it ends or stays silent before it is ready.
 *
 * @example
 * ```ts
 * const service = await startConsumerProcess({ script: 'src/main.ts', nodeArgs: ['--import', 'tsx'], env: { DATABASE_URL: postgres.url } });
 * await peer.restart({ downMs: 30_000 });
 * expect(service.exit()).toBeUndefined();
 * expect(await service.terminate()).toMatchObject({ code: 0, signal: null });
 * ```
 */
export async function startConsumerProcess(options: ConsumerProcessOptions): Promise<ConsumerProcess> {
  const readyLine = options.readyLine ?? 'ready';
  const keepLine = options.keepLine ?? (() => true);
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script], {
    ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let partial = '';
  let ended: ConsumerProcessExit | undefined;
  let markReady = (): void => {};
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      options.onLine?.(line);
      if (keepLine(line)) output += `${line}\n`;
      if (line === readyLine) markReady();
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<ConsumerProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      ended = { code, signal };
      resolve(ended);
    });
  });
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const failure = await Promise.race([
    ready.then(() => undefined),
    exited.then(({ code, signal }) => `ended before it was ready (code ${code}, signal ${signal})`),
    new Promise<string>((resolve) => {
      timer = setTimeout(
        () => resolve(`printed no "${readyLine}" line within ${readyTimeoutMs} ms`),
        readyTimeoutMs,
      );
    }),
  ]);
  clearTimeout(timer);
  if (failure !== undefined) {
    child.kill('SIGKILL');
    throw new Error(`consumer process ${options.script} ${failure}:\n${output}${partial}`);
  }
  return {
    process: child,
    output: () => output + partial,
    exit: () => ended,
    exited,
    async terminate() {
      const requestedAt = Date.now();
      child.kill('SIGTERM');
      const exit = await exited;
      return { ...exit, stopMs: Date.now() - requestedAt };
    },
  };
}
