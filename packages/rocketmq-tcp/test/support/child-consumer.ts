import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A consumer running in a child process (test/fixtures/consumer-process.ts). */
export interface ChildConsumer {
  readonly process: ChildProcess;
  /** Everything the child printed. */
  output(): string;
  /** Resolves with the exit code (or signal) once the child has ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const defaultScript = fileURLToPath(new URL('../fixtures/consumer-process.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('../..', import.meta.url));

/** Options of {@link startChildConsumer}. */
export interface ChildConsumerOptions {
  /** Called with each complete stdout line as it arrives (the event lines of IDEM_TEST_EVENTS=1). */
  readonly onLine?: (line: string) => void;
  /** Another service script to run (test/fixtures/*.ts); it must print `ready` too. */
  readonly script?: string;
}

/** Starts the fixture (or `options.script`) with tsx (decorators) and workspace sources; resolves once it consumes. */
export async function startChildConsumer(
  env: Record<string, string>,
  options: ChildConsumerOptions = {},
): Promise<ChildConsumer> {
  const script = options.script ?? defaultScript;
  const child = spawn(process.execPath, ['--conditions=@idem/source', '--import', 'tsx', script], {
    cwd: packageDir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let partial = '';
  const { onLine } = options;
  child.stdout.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    // Event lines are many; keep only the rest in `output`.
    if (onLine === undefined) {
      output += text;
      return;
    }
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      onLine(line);
      if (!/^[RSA] /.test(line)) output += `${line}\n`;
    }
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  await new Promise<void>((resolve, reject) => {
    const check = (): void => {
      if (output.includes('ready')) resolve();
    };
    child.stdout.on('data', check);
    void exited.then(({ code, signal }) =>
      reject(
        new Error(`consumer process ended before it was ready (code ${code}, signal ${signal}):\n${output}`),
      ),
    );
  });
  return { process: child, output: () => output, exited };
}
