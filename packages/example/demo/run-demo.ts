/**
 * `pnpm demo`: the orders service turns order events into invoices and announces each one through
 * its outbox; a mailer service turns the announcements into e-mails. The broker goes through a
 * simulated upgrade (duplicate deliveries, lost acks, a restart) meanwhile, and every invoice and
 * every e-mail is written exactly once. Runs on embedded defaults: an embedded Postgres and the in-process RocketMQ peer.
 *
 * Against your own infrastructure: DATABASE_URL=postgres://... IDEM_DEMO_ROCKETMQ_ENDPOINTS=host:8081,
 * plus IDEM_DEMO_ROCKETMQ_NAMESPACE, IDEM_DEMO_ROCKETMQ_ACCESS_KEY and IDEM_DEMO_ROCKETMQ_ACCESS_SECRET
 * for an ApsaraMQ for RocketMQ instance (then no faults are injected: restart your broker yourself).
 */
import {
  type EmbeddedPostgresServer,
  type RocketMQPeer,
  startEmbeddedPostgres,
  startRocketMQPeer,
} from '@idem/testing';
import { sql } from 'kysely';
import { INVOICES_TOPIC } from '../src/invoice-handlers.js';
import { createOrdersDatabase } from '../src/orders-database.js';
import { startMailerService } from '../src/start-mailer-service.js';
import { startOrdersService } from '../src/start-orders-service.js';
import { startDemoProducer } from './demo-producer.js';
import { DemoStats } from './demo-stats.js';

const ORDERS = Number(process.env.IDEM_DEMO_ORDERS ?? 3000);
const PAID_EVERY = 10;
const RESTART_DOWN_MS = 3000;
const startedAt = Date.now();
const elapsed = (): string => `${((Date.now() - startedAt) / 1000).toFixed(1).padStart(5)} s`;
const say = (line: string): void => console.log(`[${elapsed()}] ${line}`);

const postgres: EmbeddedPostgresServer | undefined =
  process.env.DATABASE_URL === undefined ? await startEmbeddedPostgres() : undefined;
const databaseUrl = postgres?.url ?? process.env.DATABASE_URL ?? '';
say(postgres === undefined ? 'Postgres: DATABASE_URL' : `Postgres: embedded, port ${postgres.port}`);
const peer: RocketMQPeer | undefined =
  process.env.IDEM_DEMO_ROCKETMQ_ENDPOINTS === undefined
    ? await startRocketMQPeer({ minInvisibleDurationMs: 1000 })
    : undefined;
const endpoints = peer?.endpoints ?? process.env.IDEM_DEMO_ROCKETMQ_ENDPOINTS ?? '';
say(peer === undefined ? `RocketMQ: ${endpoints}` : `RocketMQ: in-process protocol peer at ${endpoints}`);

// ApsaraMQ for RocketMQ 5 instances take the same gRPC protocol with an instance namespace and
// access-key credentials.
const namespace = process.env.IDEM_DEMO_ROCKETMQ_NAMESPACE;
const accessKey = process.env.IDEM_DEMO_ROCKETMQ_ACCESS_KEY;
const accessSecret = process.env.IDEM_DEMO_ROCKETMQ_ACCESS_SECRET;
const credentials =
  accessKey !== undefined && accessSecret !== undefined ? { accessKey, accessSecret } : undefined;

const stats = new DemoStats();
const service = await startOrdersService({
  databaseUrl,
  rocketmqEndpoints: endpoints,
  onEvent: stats.onEvent,
  ...(namespace === undefined ? {} : { namespace }),
  ...(credentials === undefined ? {} : { credentials }),
});
const mailerStats = new DemoStats();
const mailer = await startMailerService({
  databaseUrl,
  rocketmqEndpoints: endpoints,
  onEvent: mailerStats.onEvent,
  ...(namespace === undefined ? {} : { namespace }),
  ...(credentials === undefined ? {} : { credentials }),
});
const producer = await startDemoProducer(endpoints, { namespace: namespace ?? '', credentials });
const db = createOrdersDatabase(databaseUrl);
const paidOrders = Math.floor(ORDERS / PAID_EVERY);
let sent = 0;
let sends = 0;
let upgradeState = 'up';

const progress = setInterval(() => {
  say(
    `sent ${sent}/${ORDERS + paidOrders} · processed ${stats.processed} · e-mails ${mailerStats.processed} · duplicates skipped ${stats.duplicates + mailerStats.duplicates} · broker ${upgradeState}`,
  );
}, 2000);

async function simulateUpgrade(): Promise<void> {
  if (peer === undefined) return;
  say('broker upgrade begins: 10% duplicate deliveries, 20% of acks lost');
  upgradeState = 'upgrading';
  peer.duplicateDeliveries(0.1);
  peer.loseAcks(0.2);
  await new Promise((resolve) => setTimeout(resolve, 2000));
  say(`broker restarts (down ${RESTART_DOWN_MS / 1000} s)`);
  upgradeState = 'down';
  await peer.restart({ downMs: RESTART_DOWN_MS });
  upgradeState = 'upgrading';
  say('broker is back');
  await new Promise((resolve) => setTimeout(resolve, 2000));
  peer.duplicateDeliveries(0);
  peer.loseAcks(0);
  upgradeState = 'up';
  say('broker upgrade done');
}

// The order service publishes from many requests at once; so does the demo, 32 at a time.
const SENDERS = 32;
let upgrade: Promise<void> = Promise.resolve();
let next = 0;
async function sender(): Promise<void> {
  for (let index = next++; index < ORDERS; index = next++) {
    if (index === Math.floor(ORDERS * 0.3)) upgrade = simulateUpgrade();
    const orderId = `order-${String(index).padStart(5, '0')}`;
    const tries = await producer.sendCreated({
      orderId,
      customerId: `customer-${index % 97}`,
      amountCents: 1000 + (index % 50) * 10,
    });
    sends += tries;
    sent += 1;
    if (index % PAID_EVERY === 0) {
      const paidTries = await producer.sendPaid({ orderId, paidAt: new Date().toISOString() });
      sends += paidTries;
      sent += 1;
    }
  }
}
await Promise.all(Array.from({ length: SENDERS }, () => sender()));
await upgrade;

const counts = async (): Promise<{ invoices: number; paid: number; emails: number; unsent: number }> => {
  const row = await sql<{ invoices: string; paid: string; emails: string; unsent: string }>`
    select count(*) as invoices, count(*) filter (where status = 'paid') as paid,
      (select count(*) from invoice_emails) as emails,
      (select count(*) from idem.outbox where status <> 'sent') as unsent
    from invoices`.execute(db);
  const first = row.rows[0];
  return {
    invoices: Number(first?.invoices ?? 0),
    paid: Number(first?.paid ?? 0),
    emails: Number(first?.emails ?? 0),
    unsent: Number(first?.unsent ?? 0),
  };
};
// Gives up only after 60 s without progress: a loaded machine is slow, not wrong.
const STALL_MS = 60_000;
let deadline = Date.now() + STALL_MS;
let effects = await counts();
while (
  (effects.invoices < ORDERS || effects.paid < paidOrders || effects.emails < ORDERS || effects.unsent > 0) &&
  Date.now() < deadline
) {
  await new Promise((resolve) => setTimeout(resolve, 200));
  const before = JSON.stringify(effects);
  effects = await counts();
  if (JSON.stringify(effects) !== before) deadline = Date.now() + STALL_MS;
}
clearInterval(progress);
const deadLetters = Number(
  (await sql<{ n: string }>`select count(*) as n from idem.dead_letters`.execute(db)).rows[0]?.n ?? 0,
);
// What the broker stored on the invoices topic: every copy, re-sends included, and their keys.
const announced = peer?.messages(INVOICES_TOPIC);
await producer.stop();
await service.stop();
await mailer.stop();
await db.destroy();
await peer?.stop();
await postgres?.stop();

const exact = effects.invoices === ORDERS && effects.paid === paidOrders && effects.emails === ORDERS;
const announcedKeys =
  announced === undefined ? undefined : new Set(announced.map((message) => message.keys[0]));
const rows: [string, string][] = [
  [
    'events sent',
    `${ORDERS + paidOrders} (${ORDERS} orders, ${paidOrders} payments; ${sends - ORDERS - paidOrders} re-sends after failed sends)`,
  ],
  ['deliveries received', String(stats.received)],
  [
    'duplicates skipped',
    `${stats.duplicates} (${stats.redeliveries} broker redeliveries, ${stats.producerResends} producer re-sends)`,
  ],
  [
    'effects written',
    `${effects.invoices} invoices, ${effects.paid} marked paid ${effects.invoices === ORDERS && effects.paid === paidOrders ? '(= sent: exactly once)' : '(MISMATCH)'}`,
  ],
  [
    'invoices announced',
    announced === undefined
      ? `through the outbox (${effects.unsent} left unsent)`
      : `${announced.length} stored by the broker, ${announcedKeys?.size} distinct keys (${effects.unsent} left unsent)`,
  ],
  ['mailer deliveries', String(mailerStats.received)],
  [
    'mailer duplicates',
    `${mailerStats.duplicates} (${mailerStats.redeliveries} broker redeliveries, ${mailerStats.producerResends} outbox re-sends)`,
  ],
  [
    'e-mails written',
    `${effects.emails} ${effects.emails === ORDERS ? '(= invoices: exactly once)' : '(MISMATCH)'}`,
  ],
  ['handler retries', `${stats.failed} (payments that arrived before their order)`],
  ['dead letters', String(deadLetters)],
  ...(stats.lastFailure === undefined ? [] : [['last failure', stats.lastFailure] as [string, string]]),
  ['broker restarts', peer === undefined ? '0 (external broker)' : `1 (${RESTART_DOWN_MS / 1000} s down)`],
  ['longest pause', `${(stats.longestPauseMs / 1000).toFixed(1)} s`],
  ['wall time', elapsed().trim()],
];
console.log('\nIdem demo: orders -> invoices -> e-mails through a simulated broker upgrade\n');
for (const [label, value] of rows) console.log(`  ${label.padEnd(20)} ${value}`);
console.log('');
// Everything above is stopped, so the process ends by itself (tested for consumer processes in
// packages/rocketmq-tcp/test/tcp-consumer-exit.test.ts); the verdict is its exit code.
process.exitCode = exact && effects.unsent === 0 && deadLetters === 0 ? 0 : 1;
