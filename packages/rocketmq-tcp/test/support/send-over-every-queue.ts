import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ensureRocketMQJars } from '@idem/testing';

const JAVA_PRODUCER = fileURLToPath(new URL('../fixtures/MultiQueueProducer.java', import.meta.url));

/**
 * Sends `count` messages (`<prefix> i`, key `<prefix>-i`) round robin over the topic's queues with
 * RocketMQ's Java producer (the Node Producer writes queue 0 only); resolves with the queue id of
 * each message the broker stored.
 */
export async function sendOverEveryQueue(
  namesrvAddress: string,
  topic: string,
  count: number,
  prefix = 'order',
): Promise<number[]> {
  const jars = await ensureRocketMQJars();
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  // The client's logback writes below user.home; keep it out of the real home directory.
  const home = await mkdtemp(join(tmpdir(), 'idem-java-producer-'));
  try {
    const { stdout } = await promisify(execFile)(
      java,
      [
        ...['-Xmx128m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Duser.home=${home}`],
        ...['-cp', jars.classpath, JAVA_PRODUCER, namesrvAddress, topic, String(count), prefix],
      ],
      // One line per message: about 40 bytes each.
      { timeout: Math.max(180_000, count * 20), maxBuffer: Math.max(16 << 20, count * 64) },
    );
    return [...stdout.matchAll(/^sent \S+ queue=(\d+)$/gm)].map((match) => Number(match[1]));
  } finally {
    await rm(home, { recursive: true, force: true });
  }
}
