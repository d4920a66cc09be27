/**
 * The body of both services of the outbox chain, run as child processes by the adapters'
 * `test/fixtures/chain-service.ts` (which only build their consumer and producer). Configured
 * through the environment; prints `ready` once consuming, one line per consumer event, and
 * `stopped` after a graceful stop on SIGTERM. It never calls process.exit: the test checks that
 * the process ends by itself after stop().
 */
import { type ConsumerEvent, createDatabase, type Logger } from '@idem/core';
import type { Kysely } from 'kysely';
import { makeStdoutBlocking, requireEnv } from '../fixture-process/fixture-environment.js';
import { BillingHandlers, type ChainTables, MailerHandlers } from './chain-handlers.js';
import { formatChainEvent } from './chain-tally.js';

/** Which service a process is: A (billing, sends) or B (mailer). */
export type ChainRole = 'billing' | 'mailer';

/** The consumer options every adapter's chain service takes alike. */
export interface ChainConsumerOptions {
  readonly consumerGroup: string;
  readonly db: Kysely<ChainTables>;
  readonly schema: string;
  readonly handlers: readonly object[];
  readonly logger: Logger;
  readonly onEvent: (event: ConsumerEvent) => void;
  readonly concurrency: number;
}

/** What an adapter's fixture gets to build its consumer from. */
export interface ChainServiceParts {
  readonly role: ChainRole;
  /** Spread into the adapter's consumer options, beside its connection options. */
  readonly consumer: ChainConsumerOptions;
  readonly logger: Logger;
  /** True for the billing service: its handlers send, so its consumer needs a producer. */
  readonly sends: boolean;
}

/** The consumer an adapter's fixture built. */
export interface ChainServiceConsumer {
  start(): Promise<void>;
  stop(): Promise<void>;
}

// Warnings and errors on stdout, so a failed run shows why (an outage the service noticed).
const print =
  (level: string) =>
  (_fields: unknown, message: string): void => {
    process.stdout.write(`${level} ${message}\n`);
  };
const logger: Logger = { debug() {}, info() {}, warn: print('WARN'), error: print('ERROR') };

/**
 * Runs one service of the chain until SIGTERM: `create` builds the adapter's consumer (with a
 * producer when `parts.sends`).
 */
export async function runChainService(
  create: (parts: ChainServiceParts) => ChainServiceConsumer,
): Promise<void> {
  const role = requireEnv('IDEM_CHAIN_ROLE');
  makeStdoutBlocking();
  if (role !== 'billing' && role !== 'mailer') throw new Error(`unknown IDEM_CHAIN_ROLE ${role}`);
  const db = createDatabase<ChainTables>({
    connectionString: requireEnv('IDEM_CHAIN_DATABASE_URL'),
    maxConnections: 8,
  });
  const consumer = create({
    role,
    consumer: {
      consumerGroup: requireEnv('IDEM_CHAIN_GROUP'),
      db,
      schema: requireEnv('IDEM_CHAIN_SCHEMA'),
      handlers: [role === 'billing' ? new BillingHandlers() : new MailerHandlers()],
      logger,
      // stdout blocks (made so below): a line printed before a SIGKILL reaches the test.
      onEvent: (event) => process.stdout.write(`${formatChainEvent(event)}\n`),
      concurrency: 16,
    },
    logger,
    sends: role === 'billing',
  });
  process.once('SIGTERM', () => {
    consumer
      .stop()
      .then(() => db.destroy())
      .then(() => process.stdout.write('stopped\n'))
      .catch((error: unknown) => process.stderr.write(`stop failed: ${String(error)}\n`));
  });
  await consumer.start();
  process.stdout.write('ready\n');
}
