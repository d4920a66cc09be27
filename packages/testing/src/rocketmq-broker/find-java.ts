import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { RocketMQBrokerError } from './rocketmq-broker-error.js';
import { isCommandMissing, runCommand, tailLines } from './run-command.js';

/** A Java runtime that can run the broker. */
export interface JavaRuntime {
  /** Command or path that starts it. */
  readonly command: string;
  /** Feature release, e.g. 17 or 25. */
  readonly majorVersion: number;
  /** The first line `java -version` printed. */
  readonly description: string;
}

/** Oldest Java the launcher is tested with; its JVM flags (`--add-exports`) need 9+ anyway. */
export const MINIMUM_JAVA_VERSION = 17;

const INSTALL_HINT =
  `Install a JDK ${MINIMUM_JAVA_VERSION} or newer (e.g. \`apt-get install openjdk-17-jdk-headless\`, ` +
  'or Temurin from https://adoptium.net) and put `java` on the PATH or set JAVA_HOME.';

/**
 * Finds a Java runtime of version 17 or newer: `explicit` if given, else `$JAVA_HOME/bin/java`
 * when that exists, else `java` on the PATH. Fails with `JAVA_NOT_FOUND` naming what to install.
 */
export async function findJava(explicit?: string): Promise<JavaRuntime> {
  const command = explicit ?? (await javaFromJavaHome()) ?? 'java';
  let output: string;
  try {
    const result = await runCommand(command, ['-version'], { timeoutMs: 30_000 });
    if (result.exitCode !== 0) {
      throw new RocketMQBrokerError(
        'JAVA_NOT_FOUND',
        `\`${command} -version\` failed (exit ${String(result.exitCode)}): ${tailLines(result.output, 5)}. ${INSTALL_HINT}`,
      );
    }
    output = result.output;
  } catch (error) {
    if (error instanceof RocketMQBrokerError) throw error;
    if (isCommandMissing(error)) {
      throw new RocketMQBrokerError('JAVA_NOT_FOUND', `\`${command}\` was not found. ${INSTALL_HINT}`, {
        cause: error,
      });
    }
    throw new RocketMQBrokerError(
      'JAVA_NOT_FOUND',
      `\`${command} -version\` could not run. ${INSTALL_HINT}`,
      {
        cause: error,
      },
    );
  }
  const majorVersion = parseJavaMajorVersion(output);
  const description = output.split(/\r?\n/).find((line) => line.includes('version')) ?? output.trim();
  if (majorVersion === undefined || majorVersion < MINIMUM_JAVA_VERSION) {
    throw new RocketMQBrokerError(
      'JAVA_NOT_FOUND',
      `\`${command}\` is ${description.trim()}, older than Java ${MINIMUM_JAVA_VERSION}. ${INSTALL_HINT}`,
    );
  }
  return { command, majorVersion, description: description.trim() };
}

/** Reads the feature release from `java -version` output: `"17.0.15"` -> 17, `"1.8.0_402"` -> 8. */
export function parseJavaMajorVersion(versionOutput: string): number | undefined {
  const match = /version "(\d+)(?:\.(\d+))?[^"]*"/.exec(versionOutput);
  if (match === null) return undefined;
  const first = Number(match[1]);
  return first === 1 && match[2] !== undefined ? Number(match[2]) : first;
}

async function javaFromJavaHome(): Promise<string | undefined> {
  const javaHome = process.env.JAVA_HOME;
  if (javaHome === undefined || javaHome === '') return undefined;
  const candidate = join(javaHome, 'bin', process.platform === 'win32' ? 'java.exe' : 'java');
  try {
    await access(candidate);
    return candidate;
  } catch {
    return undefined;
  }
}
