// The launcher's safety nets and error messages, with real processes: no JVM outlives the Node
// process that started it, and each missing prerequisite fails with a code and a fix.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ensureRocketMQJars, RocketMQBrokerError, startRocketMQBroker } from '../src/index.js';
import { parseJavaMajorVersion } from '../src/rocketmq-broker/find-java.js';
import { updateGroupArgs, updateTopicArgs } from '../src/rocketmq-broker/rocketmq-admin.js';

/** True while `pid` is a live process; a zombie (exited, not yet reaped by its parent) is dead. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

describe('startRocketMQBroker safety nets and errors', () => {
  it('kills its JVMs when the Node process that started them is SIGKILLed', async () => {
    const script = fileURLToPath(new URL('../scripts/start-rocketmq-broker.mjs', import.meta.url));
    // tsx runs the script's TypeScript imports, as the script's usage line says.
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
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
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      await expect
        .poll(() => output.includes('"pids"') || child.exitCode !== null, {
          timeout: 120_000,
          interval: 100,
          message: 'broker start in a child',
        })
        .toBe(true);
      const line = output.split('\n').find((text) => text.includes('"pids"'));
      expect(line, output).toBeDefined();
      const ready: { pids: number[]; logsDir: string } = JSON.parse(line ?? '{}');
      expect(ready.pids.filter(isAlive)).toHaveLength(2);
      child.kill('SIGKILL');
      await exited;
      await expect
        .poll(() => ready.pids.filter(isAlive).length === 0, {
          timeout: 10_000,
          interval: 100,
          message: 'the JVMs dying with their parent',
        })
        .toBe(true);
      // No exit handler ran, so the temporary directory stays: remove it here.
      await rm(join(ready.logsDir, '..'), { recursive: true, force: true });
    } finally {
      child.kill('SIGKILL');
    }
  }, 180_000);

  it('fails with BROKER_START_TIMEOUT and the logs when a process is not ready in time', async () => {
    const failure = startRocketMQBroker({ startTimeoutMs: 1 });
    await expect(failure).rejects.toMatchObject({
      code: 'BROKER_START_TIMEOUT',
      message: expect.stringMatching(
        /name server \(pid \d+\) was not ready after 1 ms[\s\S]*raise startTimeoutMs/,
      ),
    });
  });

  it('names the missing JDK', async () => {
    await expect(startRocketMQBroker({ java: '/nonexistent/bin/java' })).rejects.toMatchObject({
      code: 'JAVA_NOT_FOUND',
      message: expect.stringContaining('Install a JDK 17'),
    });
  });

  it('names the missing Maven when the jars are not cached', async () => {
    const home = await mkdtemp(join(tmpdir(), 'idem-rocketmq-jars-'));
    try {
      const failure = ensureRocketMQJars({ home, mavenCommand: 'idem-no-such-mvn' });
      await expect(failure).rejects.toBeInstanceOf(RocketMQBrokerError);
      await expect(failure).rejects.toMatchObject({
        code: 'MAVEN_NOT_FOUND',
        message: expect.stringContaining('Maven'),
      });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });

  it("reports JARS_UNAVAILABLE with Maven's reason when a release cannot be fetched", async () => {
    const home = await mkdtemp(join(tmpdir(), 'idem-rocketmq-jars-'));
    try {
      await expect(ensureRocketMQJars({ home, version: '0.0.404' })).rejects.toMatchObject({
        code: 'JARS_UNAVAILABLE',
        message: expect.stringContaining('rocketmq'),
      });
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('startRocketMQBroker building blocks', () => {
  it('reads the Java feature release from `java -version`', () => {
    expect(parseJavaMajorVersion('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(parseJavaMajorVersion('openjdk version "25" 2025-09-16')).toBe(25);
    expect(parseJavaMajorVersion('java version "1.8.0_402"')).toBe(8);
    expect(parseJavaMajorVersion('no version here')).toBeUndefined();
  });

  it('creates topics with queue 0 only and the message type the proxy checks', () => {
    expect(updateTopicArgs({ name: 'orders', type: 'FIFO' }, '127.0.0.1:9876', 'DefaultCluster')).toEqual([
      'updateTopic',
      ...['-n', '127.0.0.1:9876', '-c', 'DefaultCluster', '-t', 'orders', '-r', '1', '-w', '1'],
      ...['-a', '+message.type=FIFO'],
    ]);
    expect(updateGroupArgs({ name: 'billing', fifo: true, maxRetryTimes: 3 }, 'ns:1', 'C')).toEqual([
      'updateSubGroup',
      ...['-n', 'ns:1', '-c', 'C', '-g', 'billing', '-r', '3', '-o', 'true'],
    ]);
  });
});
