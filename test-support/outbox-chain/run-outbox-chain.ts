import { type ConsumerProcess, startConsumerProcess } from '@idem/testing';
import { expect } from 'vitest';
import type { ChainBroker } from './chain-broker.js';
import { createChainDatabases } from './chain-databases.js';
import { INVOICES_TOPIC, ORDERS_TOPIC } from './chain-handlers.js';
import type { ChainReport } from './chain-report.js';
import { ChainTally, isChainEventLine } from './chain-tally.js';
import type { ChainRole } from './run-chain-service.js';

/** Options of {@link runOutboxChain}. */
export interface OutboxChainOptions {
  readonly broker: ChainBroker;
  /** The Postgres both services use (each in a schema of its own). */
  readonly databaseUrl: string;
  /** The adapter's chain-service script, run with tsx from `cwd`. */
  readonly fixture: string;
  readonly cwd: string;
  readonly orders: number;
  /** Duplicate deliveries injected on both hops, 0 to 1. */
  readonly duplicateRate: number;
  /** SIGKILLs of service A, each followed by a restart. */
  readonly kills: number;
  /** Seeds the instants of the kills and the fault; `Math.random` by default. */
  readonly random?: () => number;
  /** Progress lines. */
  readonly log: (line: string) => void;
  /** How long the chain may take to settle after the last fault. */
  readonly settleTimeoutMs: number;
}

/**
 * Runs the outbox chain: service A consumes orders, writes an invoice and sends `InvoiceIssued`
 * through its outbox; service B consumes those and writes an email row. Both run as child
 * processes. Duplicate deliveries are injected on both hops, service A is killed with SIGKILL
 * at random points of its progress (and restarted), and the broker goes through its fault in
 * between. Resolves, once both hops settled and both services stopped gracefully, to what
 * happened, for the caller to print and assert.
 */
export async function runOutboxChain(options: OutboxChainOptions): Promise<ChainReport> {
  const { broker, log } = options;
  const random = options.random ?? Math.random;
  const databases = await createChainDatabases(options.databaseUrl);
  const tallies: Record<ChainRole, ChainTally> = { billing: new ChainTally(), mailer: new ChainTally() };
  const running = new Set<ConsumerProcess>();
  const start = async (role: ChainRole): Promise<ConsumerProcess> => {
    const side = databases[role];
    const service = await startConsumerProcess({
      script: options.fixture,
      nodeArgs: ['--conditions=@idem/source', '--import', 'tsx'],
      cwd: options.cwd,
      env: {
        ...broker.serviceEnv,
        IDEM_CHAIN_ROLE: role,
        IDEM_CHAIN_DATABASE_URL: side.url,
        IDEM_CHAIN_SCHEMA: side.schema,
        IDEM_CHAIN_GROUP: broker.groupOf(role),
      },
      onLine: tallies[role].onLine,
      keepLine: (line) => !isChainEventLine(line),
    });
    running.add(service);
    return service;
  };
  let passed = false;
  const startedAt = Date.now();
  const seconds = (): string => `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
  // Progress for the log (a slow machine shows where the time goes); never asserted on.
  const progress = setInterval(() => {
    void Promise.all([databases.invoiceCount(), databases.emailCount()]).then(
      ([invoices, emails]) => log(`[${seconds()}] ${invoices} invoices, ${emails} emails`),
      () => {},
    );
  }, 5000);
  try {
    // Started together: a process's start (tsx, the broker handshake) is most of a kill's cost.
    const [mailer, first] = await Promise.all([start('mailer'), start('billing')]);
    let billing = first;
    broker.duplicateDeliveries(options.duplicateRate);
    for (let index = 0; index < options.orders; index += 1) {
      const orderId = `order-${String(index).padStart(5, '0')}`;
      broker.publishOrder({ orderId, amountCents: 1000 + (index % 97) });
    }

    // Each step waits for service A's progress to pass a random point of its own slice of the
    // run, so the kills land at different places in the pipeline on every run while all of
    // them, and the fault, are sure to happen before the work runs out.
    const steps: ('kill' | 'fault')[] = Array.from({ length: options.kills }, () => 'kill');
    steps.splice(Math.ceil(options.kills / 2), 0, 'fault');
    let kills = 0;
    for (const [index, step] of steps.entries()) {
      const slice = 0.9 / steps.length;
      const point = Math.floor(options.orders * (0.05 + slice * (index + random())));
      await expect
        .poll(() => databases.invoiceCount(), { timeout: options.settleTimeoutMs, interval: 25 })
        .toBeGreaterThanOrEqual(point);
      if (step === 'fault') {
        log(`[${seconds()}] ${point} invoices: broker ${broker.faultLabel}`);
        await broker.fault();
        log(`[${seconds()}] broker serves again`);
        continue;
      }
      billing.process.kill('SIGKILL');
      await billing.exited;
      running.delete(billing);
      kills += 1;
      log(
        `[${seconds()}] ${point}+ invoices: service A killed (SIGKILL ${kills}/${options.kills}); restarting`,
      );
      billing = await start('billing');
    }

    const settled = { timeout: options.settleTimeoutMs, interval: 100 };
    await expect.poll(() => databases.invoiceCount(), settled).toBeGreaterThanOrEqual(options.orders);
    await expect.poll(() => databases.unsentOutboxRows(), settled).toBe(0);
    await expect.poll(() => databases.emailCount(), settled).toBeGreaterThanOrEqual(options.orders);
    // Every injected duplicate and every redelivery after a kill has been handled (and skipped).
    await broker.idle(broker.groupOf('billing'), ORDERS_TOPIC, options.settleTimeoutMs);
    await broker.idle(broker.groupOf('mailer'), INVOICES_TOPIC, options.settleTimeoutMs);
    log(`[${seconds()}] both hops settled`);

    const exits = [];
    for (const service of [billing, mailer]) {
      exits.push(await service.terminate());
      running.delete(service);
    }
    const storedInvoiceKeys = broker.storedKeys(INVOICES_TOPIC);
    const report: ChainReport = {
      transport: broker.name,
      orders: options.orders,
      published: { orders: broker.storedKeys(ORDERS_TOPIC).length, invoices: storedInvoiceKeys.length },
      hops: { billing: tallies.billing, mailer: tallies.mailer },
      effects: { invoices: await databases.invoiceCount(), emails: await databases.emailCount() },
      distinctOrders: await databases.distinctOrders(),
      doubleEffects: await databases.doubleEffects(),
      kills,
      faultLabel: broker.faultLabel,
      faults: broker.faultsCounted(),
      outboxLog: await databases.outboxLog(),
      storedInvoiceKeys,
      mailerKeys: await databases.mailerKeys(),
      unsentOutboxRows: await databases.unsentOutboxRows(),
      exits: exits.map(({ code, signal }) => ({ code, signal })),
      wallMs: Date.now() - startedAt,
    };
    passed = true;
    return report;
  } catch (error) {
    for (const service of running) log(`--- a service's output:\n${service.output()}`);
    throw error;
  } finally {
    clearInterval(progress);
    for (const service of running) {
      if (service.exit() === undefined) service.process.kill('SIGKILL');
      await service.exited;
    }
    // A failed run keeps both schemas, so their state can be read.
    if (passed) await databases.drop();
    else log(`kept schemas ${databases.billing.schema} and ${databases.mailer.schema}`);
  }
}
