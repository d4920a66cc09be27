// Issue 12, test 8: exactly once across two hops on a real RocketMQ 5 broker. Service A consumes
// orders, writes an invoice and sends InvoiceIssued through the outbox (ctx.send, its TCP
// producer); service B consumes InvoiceIssued and writes an email. Both run as child processes.
// The broker is killed with SIGKILL mid-run and service A too (its committed, unsent rows must
// go out from its next incarnation): every order must end as exactly one invoice and one email.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { type ConsumerProcess, startConsumerProcess } from '@idem/testing';
import { sql } from 'kysely';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  createEffectsDatabase,
  type EffectsDatabase,
} from '../../../test-support/effects/effects-database.js';
import { createChainTables } from './support/chain-handlers.js';
import { DeliveryLedger, type Incarnation, settledCount } from './support/delivery-ledger.js';
import { useRealBroker } from './support/real-broker.js';
import { type RealProducer, startRealProducer } from './support/real-producer.js';

const ORDERS = 1000;
const QUIET_MS = 12_000; // longer than the invisible duration: lost acks have come back by then
const fixture = fileURLToPath(new URL('./fixtures/chain-service-process.ts', import.meta.url));
const packageDir = fileURLToPath(new URL('..', import.meta.url));

interface Hop {
  readonly name: 'invoicing' | 'email';
  readonly ledger: DeliveryLedger;
  /** Messages the broker confirmed to this service's producer (`P` lines). */
  published: number;
  running: { readonly child: ConsumerProcess; readonly incarnation: Incarnation } | undefined;
  incarnations: number;
}

describe('a two-service chain through the outbox on a real RocketMQ 5 broker', () => {
  const brokerFor = useRealBroker();
  let database: EffectsDatabase | undefined;
  let producer: RealProducer | undefined;
  const hops: Hop[] = [];

  afterAll(async () => {
    for (const hop of hops) hop.running?.child.process.kill('SIGKILL');
    await producer?.shutdown();
    await database?.drop().catch(() => {});
  });

  it('writes exactly one invoice and one email per order through a broker kill -9 and a service kill -9', async (ctx) => {
    const realBroker = brokerFor(ctx);
    const startedAt = Date.now();
    const suffix = randomBytes(4).toString('hex');
    const ordersTopic = `idem_chain_orders_${suffix}`;
    const invoicesTopic = `idem_chain_invoices_${suffix}`;
    const groups = { invoicing: `idem_chain_invoicing_${suffix}`, email: `idem_chain_email_${suffix}` };
    await realBroker.createTopic(ordersTopic);
    await realBroker.createTopic(invoicesTopic);
    await realBroker.createGroup(groups.invoicing);
    await realBroker.createGroup(groups.email);
    database = await createEffectsDatabase();
    const db = database;
    await createChainTables(db.db);

    const launch = async (hop: Hop): Promise<void> => {
      hop.incarnations += 1;
      const { incarnation, onLine } = hop.ledger.track(`${hop.name}-${hop.incarnations}`);
      const child = await startConsumerProcess({
        script: fixture,
        nodeArgs: ['--conditions=@idem/source', '--import', 'tsx'],
        cwd: packageDir,
        env: {
          IDEM_TEST_ROLE: hop.name,
          IDEM_TEST_DATABASE_URL: db.url,
          IDEM_TEST_SCHEMA: db.schema,
          IDEM_TEST_ENDPOINTS: realBroker.endpoints,
          IDEM_TEST_GROUP: groups[hop.name],
          IDEM_TEST_ORDERS_TOPIC: ordersTopic,
          IDEM_TEST_INVOICES_TOPIC: invoicesTopic,
        },
        onLine: (line) => {
          if (line.startsWith('P ')) hop.published += Number(line.slice(2));
          else onLine(line);
        },
        keepLine: (line) => !/^[RSAP] /.test(line),
      });
      hop.running = { child, incarnation };
    };
    const newHop = (name: Hop['name']): Hop => {
      const hop: Hop = {
        name,
        ledger: new DeliveryLedger(),
        published: 0,
        running: undefined,
        incarnations: 0,
      };
      hops.push(hop);
      return hop;
    };
    const invoicing = newHop('invoicing');
    const email = newHop('email');
    await Promise.all([launch(invoicing), launch(email)]);

    producer = await startRealProducer(realBroker.endpoints, [ordersTopic]);
    const publishing = producer.sendAll(
      Array.from({ length: ORDERS }, (_, index) => ({
        topic: ordersTopic,
        body: `order ${index}`,
        keys: [`order-${index}`],
      })),
      { concurrency: 32 },
    );

    // One progress line every 10 s: on a loaded machine it shows which hop is behind.
    const progress = setInterval(() => {
      console.warn(
        `chain +${((Date.now() - startedAt) / 1000).toFixed(0)} s: invoices ${invoicing.ledger.processedKeys}, InvoiceIssued confirmed ${invoicing.published}, emails ${email.ledger.processedKeys}`,
      );
    }, 10_000);
    onTestFinished(() => clearInterval(progress));
    const events: string[] = [];
    const at = async (
      hop: Hop,
      fraction: number,
      what: string,
      action: () => Promise<void>,
    ): Promise<void> => {
      await expect
        .poll(() => hop.ledger.processedKeys >= ORDERS * fraction, {
          timeout: 180_000,
          interval: 200,
          message: `${hop.name} at ${fraction}`,
        })
        .toBe(true);
      const began = Date.now();
      await action();
      events.push(
        `${what} at ${invoicing.ledger.processedKeys} invoices / ${email.ledger.processedKeys} emails, +${((began - startedAt) / 1000).toFixed(0)} s, took ${((Date.now() - began) / 1000).toFixed(1)} s`,
      );
    };
    await at(email, 0.3, 'broker kill -9 (down 2 s)', () =>
      realBroker.restart({ mode: 'kill', downMs: 2000 }),
    );
    await at(invoicing, 0.7, 'service A kill -9', async () => {
      const running = invoicing.running;
      if (running === undefined) throw new Error('service A is not running');
      running.incarnation.killed = true;
      running.child.process.kill('SIGKILL');
      await running.child.exited;
      await launch(invoicing);
    });
    await publishing;

    const count = async (query: string): Promise<number> =>
      Number((await sql<{ n: string }>`${sql.raw(query)}`.execute(db.db)).rows[0]?.n ?? 0);
    await expect
      .poll(
        async () =>
          (await count('select count(distinct order_key) as n from emails')) >= ORDERS &&
          (await count('select count(*) as n from outbox')) === 0,
        { timeout: 180_000, interval: 200, message: 'an email for every order and an empty outbox' },
      )
      .toBe(true);
    // Deliveries whose ack was lost come back after the invisible duration and are skipped then.
    await expect
      .poll(() => invoicing.ledger.quietForMs() >= QUIET_MS && email.ledger.quietForMs() >= QUIET_MS, {
        timeout: 120_000,
        interval: 200,
        message: 'a quiet period on both hops',
      })
      .toBe(true);
    for (const hop of hops) {
      const running = hop.running;
      if (running === undefined) continue;
      running.child.process.kill('SIGTERM');
      expect(await running.child.exited).toEqual({ code: 0, signal: null });
    }
    const wallMs = Date.now() - startedAt;

    const perKey = async (table: 'invoices' | 'emails'): Promise<Map<string, number>> =>
      new Map(
        (
          await sql<{ order_key: string; n: string }>`
            select order_key, count(*) as n from ${sql.table(table)} group by order_key`.execute(db.db)
        ).rows.map((row) => [row.order_key, Number(row.n)]),
      );
    const invoices = await perKey('invoices');
    const emails = await perKey('emails');
    const orderKeys = Array.from({ length: ORDERS }, (_, index) => `order-${index}`);
    const effects = { invoicing: invoices, email: emails };

    const hopLine = (hop: Hop, published: number): string => {
      const { ledger } = hop;
      const received = ledger.total((incarnation) => incarnation.received);
      const settled = (outcome: keyof Incarnation['settled']): number =>
        ledger.total((incarnation) => incarnation.settled[outcome]);
      const abandoned = ledger.total((incarnation) =>
        incarnation.killed ? incarnation.received - settledCount(incarnation) : 0,
      );
      const rows = [...effects[hop.name].values()].reduce((sum, n) => sum + n, 0);
      return [
        hop.name.padEnd(10),
        String(published).padStart(9),
        String(received).padStart(9),
        String(settled('processed')).padStart(9),
        String(settled('duplicate')).padStart(10),
        String(settled('failed') + settled('dead-lettered')).padStart(13),
        String(abandoned).padStart(9),
        String(rows).padStart(7),
        String(ledger.incarnations.filter((incarnation) => incarnation.killed).length).padStart(5),
      ].join(' ');
    };
    console.warn(
      [
        `chain test (real RocketMQ 5.5.0 broker, 2 service processes, batch mode), ${ORDERS} orders:`,
        'hop        published delivered processed duplicates failed/dead abandoned effects kills',
        hopLine(invoicing, ORDERS),
        hopLine(email, invoicing.published),
        '(published: orders by the test for invoicing, InvoiceIssued confirmed by the broker to service A for email;',
        ' delivered: deliveries the service received; duplicates: skipped by Idem; abandoned: in flight at a kill -9)',
        'broker restarts: 1 (kill -9); service kills: 1 (A, kill -9, started again)',
        `wall time ${(wallMs / 1000).toFixed(1)} s (broker start excluded)`,
        ...events.map((event) => `  - ${event}`),
      ].join('\n'),
    );

    // Exactly one invoice and one email per order, none missing, nothing dead-lettered, nothing left to send.
    expect(orderKeys.filter((key) => invoices.get(key) !== 1)).toEqual([]);
    expect(orderKeys.filter((key) => emails.get(key) !== 1)).toEqual([]);
    expect(invoices.size).toBe(ORDERS);
    expect(emails.size).toBe(ORDERS);
    expect(await db.deadLetterReasons()).toEqual([]);
    expect(await count('select count(*) as n from outbox')).toBe(0);
    // Every email came from its order's InvoiceIssued key, derived from the invoicing group and
    // the order's key (<consumer group>/<incoming key>/<topic>/<n>).
    expect(
      await count(
        `select count(*) as n from emails where invoice_key <> '${groups.invoicing}/' || order_key || '/${invoicesTopic}/1'`,
      ),
    ).toBe(0);
    // The counters add up on each hop: every delivery a surviving service received was settled.
    for (const hop of hops) {
      for (const incarnation of hop.ledger.incarnations.filter((each) => !each.killed)) {
        expect(settledCount(incarnation), incarnation.name).toBe(incarnation.received);
      }
    }
    expect(invoicing.published).toBeGreaterThanOrEqual(ORDERS);
  }, 420_000);
});
