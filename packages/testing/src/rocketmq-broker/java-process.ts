import { type ChildProcess, spawn } from 'node:child_process';
import { open, readFile, stat } from 'node:fs/promises';
import { Socket } from 'node:net';

/** Options of {@link spawnJavaProcess}. */
export interface JavaProcessOptions {
  readonly java: string;
  readonly jvmArgs: readonly string[];
  readonly classpath: string;
  readonly mainClass: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Receives the JVM's stdout and stderr (appended). */
  readonly outputFile: string;
}

/** A JVM started by {@link spawnJavaProcess}. */
export interface JavaProcess {
  readonly pid: number;
  readonly outputFile: string;
  /** Resolves when the JVM has exited, with its exit code (`null` after a signal). */
  readonly exited: Promise<number | null>;
  isRunning(): boolean;
  /** What this JVM printed so far (earlier runs that used the same file are left out). */
  readOutput(): Promise<string>;
  /**
   * Stops the JVM with `signal` and waits until it has exited. A SIGTERM that is not obeyed
   * within `graceMs` is followed by SIGKILL.
   */
  stop(signal: 'SIGTERM' | 'SIGKILL', graceMs?: number): Promise<void>;
}

/**
 * Starts a JVM whose output goes to a file and which cannot outlive this Node process.
 *
 * The JVM is `unref`ed, so a test that forgets `stop()` does not hang. A small `sh` watchdog
 * reads a pipe from this process and SIGKILLs the JVM when the pipe closes, which the kernel
 * does however this process ends (normal exit, crash, or SIGKILL, where no exit handler runs).
 * The watchdog ignores SIGINT/SIGTERM/SIGHUP so that a signal to the whole process group does
 * not remove it before it has done its job.
 */
export async function spawnJavaProcess(options: JavaProcessOptions): Promise<JavaProcess> {
  const outputStart = await stat(options.outputFile).then(
    (info) => info.size,
    () => 0,
  );
  const output = await open(options.outputFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(
      options.java,
      [...options.jvmArgs, '-cp', options.classpath, options.mainClass, ...options.args],
      {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', output.fd, output.fd],
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
  } finally {
    // The child holds its own copy of the descriptor.
    await output.close();
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${options.java} started without a pid`);
  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running = false;
      resolve(code);
    });
  });
  child.unref();
  const watchdog = startWatchdog(pid);

  return {
    pid,
    outputFile: options.outputFile,
    exited,
    isRunning: () => running,
    readOutput: async () =>
      await readFile(options.outputFile).then(
        (bytes) => bytes.subarray(outputStart).toString('utf8'),
        () => '',
      ),
    async stop(signal, graceMs = 60_000) {
      // The watchdog goes first: once the JVM is gone its pid may be reused by another process.
      watchdog?.kill('SIGKILL');
      if (!running) return;
      // Keeps the event loop alive until the exit arrives: the JVM is unref'd, and a script
      // awaiting restart() would otherwise end right here with nothing else pending.
      child.ref();
      child.kill(signal);
      const escalation =
        signal === 'SIGTERM'
          ? setTimeout(() => {
              if (running) child.kill('SIGKILL');
            }, graceMs)
          : undefined;
      await exited;
      clearTimeout(escalation);
    },
  };
}

function startWatchdog(pid: number): ChildProcess | undefined {
  if (process.platform === 'win32') return undefined;
  const watchdog = spawn(
    '/bin/sh',
    [
      '-c',
      'trap "" INT TERM HUP; read -r _; kill -9 "$1" 2>/dev/null',
      'idem-rocketmq-watchdog',
      String(pid),
    ],
    { stdio: ['pipe', 'ignore', 'ignore'] },
  );
  // Without /bin/sh the JVM is still stopped by stop(); only the crash safety net is missing.
  watchdog.once('error', () => {});
  watchdog.unref();
  if (watchdog.stdin instanceof Socket) {
    watchdog.stdin.on('error', () => {});
    watchdog.stdin.unref();
  }
  return watchdog;
}
