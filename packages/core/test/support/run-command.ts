import { execFile } from 'node:child_process';

/** What a finished command printed. */
export interface CommandOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a command to completion and rejects with its full output when it fails, so a failed
 * install or compile shows why in the test report instead of only an exit code.
 */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv },
): Promise<CommandOutput> {
  return await new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error === null) {
          resolve({ stdout, stderr });
          return;
        }
        const shown = [command, ...args].join(' ');
        reject(new Error(`\`${shown}\` in ${options.cwd} failed: ${error.message}\n${stdout}\n${stderr}`));
      },
    );
  });
}

/**
 * The environment for commands run outside the workspace: the test's own, minus the `npm_*`
 * variables a pnpm script exports, which carry this workspace's settings into the other project.
 */
export function outsideEnvironment(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.toLowerCase().startsWith('npm_')) env[name] = value;
  }
  return { ...env, ...extra };
}
