import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumerProcess, RocketMQBroker } from '@idem/testing';
import { createEffectsDatabase } from '../../../../test-support/effects/effects-database.js';
import { startChildConsumer } from '../support/child-consumer.js';
import { sendOverEveryQueue } from '../support/send-over-every-queue.js';

/** One row of the scale-out table. */
export interface ScaleOutResult {
  readonly processes: number;
  readonly messages: number;
  /** Effects written from the moment every consumer process was ready to the last one. */
  readonly measured: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly effects: number;
  readonly doubledKeys: number;
  readonly queuesFilled: number;
}

/** Options of {@link runScaleOut}. */
export interface ScaleOutOptions {
  readonly messages: number;
  readonly queues: number;
  /** Gives up when the backlog is not drained within this long. */
  readonly timeoutMs: number;
  readonly log?: (line: string) => void;
}

/**
 * Fills a fresh `queues`-queue topic with `messages` orders (RocketMQ's Java producer spreads
 * them over every queue), then starts `processes` consumer processes of one group, batch mode,
 * and measures how fast they drain it; each run has its own topic, group and schema.
 */
export async function runScaleOut(
  broker: RocketMQBroker,
  databaseUrl: string,
  processes: number,
  options: ScaleOutOptions,
): Promise<ScaleOutResult> {
  const log = options.log ?? (() => {});
  const namesrv = broker.namesrvAddress;
  if (namesrv === undefined) throw new Error('scale-out needs the name server address for the Java producer');
  const suffix = randomBytes(4).toString('hex');
  const topic = `idem_scale_${suffix}`;
  const group = `idem_scale_${suffix}`;
  await broker.createTopic({ name: topic, queues: options.queues });
  await broker.createGroup(group);
  const db = await createEffectsDatabase(databaseUrl);
  const children: ConsumerProcess[] = [];
  try {
    const queueIds = await sendOverEveryQueue(namesrv, topic, options.messages);
    log(`${processes} process(es): ${queueIds.length} messages on ${new Set(queueIds).size} queues`);
    const env = {
      IDEM_TEST_DATABASE_URL: db.url,
      IDEM_TEST_SCHEMA: db.schema,
      IDEM_TEST_ENDPOINTS: broker.endpoints,
      IDEM_TEST_GROUP: group,
      IDEM_TEST_TOPIC: topic,
      IDEM_TEST_MODE: 'batch',
      IDEM_TEST_CONCURRENCY: '64',
      IDEM_TEST_BATCH_SIZE: '32',
      IDEM_TEST_INVISIBLE_MS: '10000',
      IDEM_TEST_LONG_POLLING_MS: '5000',
    };
    children.push(...(await Promise.all(Array.from({ length: processes }, () => startChildConsumer(env)))));
    // Measured from the moment all are ready: process start-up (tsx) is not consumption.
    const before = await db.effectCount();
    const startedAt = Date.now();
    const giveUpAt = startedAt + options.timeoutMs;
    while ((await db.effectCount()) < options.messages) {
      if (Date.now() > giveUpAt) throw new Error(`${processes} process(es) did not drain the topic in time`);
      await sleep(250);
    }
    const seconds = (Date.now() - startedAt) / 1000;
    await Promise.all(children.splice(0).map((child) => child.terminate()));
    const measured = options.messages - before;
    return {
      processes,
      messages: options.messages,
      measured,
      seconds,
      perSecond: measured / seconds,
      effects: await db.effectCount(),
      doubledKeys: (await db.duplicateEffects()).length,
      queuesFilled: new Set(queueIds).size,
    };
  } finally {
    for (const child of children) child.process.kill('SIGKILL');
    await db.drop().catch(() => {});
  }
}
