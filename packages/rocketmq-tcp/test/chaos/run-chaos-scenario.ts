import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConsumerProcess } from '@idem/testing';
import {
  type EmbeddedPostgresServer,
  type RocketMQBroker,
  RocketMQBrokerError,
  startEmbeddedPostgres,
} from '@idem/testing';
import { sql } from 'kysely';
import {
  createEffectsDatabase,
  type EffectsDatabase,
} from '../../../../test-support/effects/effects-database.js';
import { startChildConsumer } from '../support/child-consumer.js';
import { DeliveryLedger, type Incarnation } from '../support/delivery-ledger.js';
import { type RealProducer, startRealProducer } from '../support/real-producer.js';
import type { ChaosOptions } from './chaos-options.js';
import { type ChaosFault, planChaosFaults } from './chaos-plan.js';
import type { ChaosReport } from './chaos-report.js';
import { chaosWorkload } from './chaos-workload.js';
import { collectChaosReport } from './collect-chaos-report.js';

// Longer than the invisible duration: deliveries whose ack was lost have come back by then.
const QUIET_MS = 12_000;

/** Hooks of {@link runChaosScenario}. */
export interface ChaosScenarioHooks {
  /** Progress lines (faults, counts every so often); none by default. */
  readonly log?: (line: string) => void;
  /** How often to log consumption progress; 15 s by default. */
  readonly progressEveryMs?: number;
}

interface RunningChild {
  readonly child: ConsumerProcess;
  readonly incarnation: Incarnation;
}

async function until(condition: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const giveUpAt = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > giveUpAt) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(200);
  }
}

/**
 * Retries an admin command that timed out: on a 2-core machine at load 30 the name server
 * answered the admin tool after its 3 s limit three times in a row (the launcher retries 3 times).
 */
async function withAdminRetries(action: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await action();
      return;
    } catch (error) {
      const code = error instanceof RocketMQBrokerError ? error.code : undefined;
      if (attempt >= 4 || code !== 'ADMIN_COMMAND_FAILED') throw error;
      await sleep(2000);
    }
  }
}

/**
 * The chaos scenario on a real broker, shared by the CI test and `pnpm chaos`: consumer child
 * processes of one group consume orders (and producer re-sends) from a fresh topic while the
 * broker restarts, consumers are SIGKILLed and started again and an embedded Postgres restarts,
 * as `options` says. Waits for an effect per key and a quiet period, stops the consumers with
 * SIGTERM, and resolves with what happened; it judges nothing (see `chaosViolations`).
 */
export async function runChaosScenario(
  broker: RocketMQBroker,
  options: ChaosOptions,
  hooks: ChaosScenarioHooks = {},
): Promise<ChaosReport> {
  const log = hooks.log ?? (() => {});
  const startedAt = Date.now();
  const suffix = randomBytes(4).toString('hex');
  const topic = `idem_chaos_${suffix}`;
  const group = `idem_chaos_${suffix}`;
  const children: RunningChild[] = [];
  let postgres: EmbeddedPostgresServer | undefined;
  let database: EffectsDatabase | undefined;
  let producer: RealProducer | undefined;
  let progressTimer: NodeJS.Timeout | undefined;
  try {
    await withAdminRetries(() => broker.createTopic(topic));
    await withAdminRetries(() => broker.createGroup(group));
    postgres = await startEmbeddedPostgres();
    const pg = postgres;
    database = await createEffectsDatabase(pg.url);
    const db = database;

    const ledger = new DeliveryLedger();
    const env = {
      IDEM_TEST_DATABASE_URL: db.url,
      IDEM_TEST_SCHEMA: db.schema,
      IDEM_TEST_ENDPOINTS: broker.endpoints,
      IDEM_TEST_GROUP: group,
      IDEM_TEST_TOPIC: topic,
      IDEM_TEST_MODE: 'batch',
      IDEM_TEST_CONCURRENCY: '64',
      IDEM_TEST_BATCH_SIZE: '32',
      // The proxy rejects invisible durations under 10 s and clamps long polls to 5-20 s.
      IDEM_TEST_INVISIBLE_MS: '10000',
      IDEM_TEST_LONG_POLLING_MS: '5000',
      IDEM_TEST_EVENTS: '1',
    };
    const incarnationsPerSlot = new Map<number, number>();
    const launch = async (slot: number): Promise<void> => {
      const generation = (incarnationsPerSlot.get(slot) ?? 0) + 1;
      incarnationsPerSlot.set(slot, generation);
      const { incarnation, onLine } = ledger.track(`${String.fromCharCode(65 + slot)}${generation}`);
      const child = await startChildConsumer(env, { onLine });
      children[slot] = { child, incarnation };
    };
    await Promise.all(Array.from({ length: options.consumers }, (_, slot) => launch(slot)));

    const workload = chaosWorkload(topic, options.messages, options.resendRatio);
    producer = await startRealProducer(broker.endpoints, [topic]);
    const publishStartedAt = Date.now();
    let publishMs = 0;
    let sent = 0;
    let publishFailure: { error: unknown } | undefined;
    const publishing = producer
      .sendAll(workload.messages, { concurrency: 64, onSent: () => (sent += 1) })
      .then((ids) => {
        publishMs = Date.now() - publishStartedAt;
        log(`published ${ids.length} messages in ${(publishMs / 1000).toFixed(1)} s`);
        return ids;
      });
    // A failed publish ends the run at the next check instead of waiting out a progress step.
    publishing.catch((error: unknown) => {
      publishFailure = { error };
    });
    const progressTo = (share: number) => (): boolean => {
      if (publishFailure !== undefined) throw publishFailure.error;
      return ledger.processedKeys >= workload.orders * share;
    };
    progressTimer = setInterval(() => {
      log(
        `+${((Date.now() - startedAt) / 1000).toFixed(0)} s: sent ${sent}/${workload.messages.length}, processed ${ledger.processedKeys}/${workload.orders}, deliveries ${ledger.deliveries.length}`,
      );
    }, hooks.progressEveryMs ?? 15_000);

    const brokerRestarts: string[] = [];
    const events: string[] = [];
    const inject = async (fault: ChaosFault): Promise<string> => {
      if (fault.kind === 'broker') {
        brokerRestarts.push(fault.mode);
        await broker.restart({ mode: fault.mode, downMs: options.brokerDownMs });
        return `broker ${fault.mode === 'kill' ? 'kill -9' : 'graceful'} (down ${options.brokerDownMs / 1000} s)`;
      }
      if (fault.kind === 'postgres') {
        await pg.restart({ downMs: options.postgresDownMs });
        return `Postgres restart (down ${options.postgresDownMs / 1000} s)`;
      }
      const running = children[fault.slot];
      if (running === undefined) throw new Error(`no consumer in slot ${fault.slot}`);
      running.incarnation.killed = true;
      running.child.process.kill('SIGKILL');
      await running.child.exited;
      await launch(fault.slot);
      return `consumer ${running.incarnation.name} kill -9`;
    };
    const faults = planChaosFaults(options);
    for (const fault of faults) {
      await until(progressTo(fault.at), options.stepTimeoutMs, `progress to ${fault.at}`);
      const began = Date.now();
      const what = await inject(fault);
      const line = `${what} at ${ledger.processedKeys} processed, +${((began - startedAt) / 1000).toFixed(0)} s, took ${((Date.now() - began) / 1000).toFixed(1)} s`;
      events.push(line);
      log(line);
    }

    const messageIds = await publishing;
    const effectKeys = async (): Promise<number> =>
      Number(
        (await sql<{ n: string }>`select count(distinct key) as n from effects`.execute(db.db)).rows[0]?.n ??
          0,
      );
    await until(
      async () => (await effectKeys()) >= workload.orders,
      options.stepTimeoutMs,
      'an effect for every order',
    );
    // Deliveries whose ack was lost come back after the invisible duration and are skipped then.
    await until(() => ledger.quietForMs() >= QUIET_MS, options.stepTimeoutMs, 'a quiet period');
    clearInterval(progressTimer);
    const uncleanExits: string[] = [];
    await Promise.all(
      children.map(async ({ child, incarnation }) => {
        child.process.kill('SIGTERM');
        const exit = await child.exited;
        if (exit.code !== 0 || exit.signal !== null)
          uncleanExits.push(`${incarnation.name} ${JSON.stringify(exit)}`);
      }),
    );
    children.length = 0;
    return await collectChaosReport({
      options,
      db,
      group,
      ledger,
      workload,
      messageIds,
      publishMs,
      uncleanExits,
      brokerRestarts,
      consumerKills: faults.filter((fault) => fault.kind === 'consumer').length,
      postgresRestarts: faults.filter((fault) => fault.kind === 'postgres').length,
      events,
      wallMs: Date.now() - startedAt,
    });
  } finally {
    clearInterval(progressTimer);
    for (const { child } of children) child.process.kill('SIGKILL');
    await producer?.shutdown();
    await database?.drop().catch(() => {});
    await postgres?.stop();
  }
}
