import type { Kysely } from 'kysely';
import { createBackoff, sleep } from '../consumer/backoff.js';
import type { DependencyHealth } from '../consumer/consumer-health.js';
import { OutageTracker } from '../consumer/outage-tracker.js';
import { connectionSettingsOf, type DatabaseConnectionSettings } from '../database-connection-settings.js';
import { IdemError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { assertSchemaName, DEFAULT_SCHEMA } from '../schema-name.js';
import { removeSentOutboxRows } from '../store/outbox-store.js';
import { deliverOutboxBatch, type OutboxRelayMetrics } from './deliver-outbox-batch.js';
import { listenForOutboxRows } from './listen-for-outbox-rows.js';
import type { MessageProducer } from './message-producer.js';
import { RelayWakeup } from './relay-wakeup.js';

export type { OutboxRelayMetrics } from './deliver-outbox-batch.js';

/** Options of {@link createOutboxRelay}. */
export interface OutboxRelayOptions<DB = unknown> {
  /** The database holding Idem's outbox (the one your transactions write to). */
  readonly db: Kysely<DB>;
  /** Sends the rows; the relay starts it in `start()` and stops it in `stop()`. */
  readonly producer: MessageProducer;
  /** The Postgres schema of Idem's tables. Default `idem`. */
  readonly schema?: string;
  readonly logger?: Logger;
  readonly metrics?: OutboxRelayMetrics;
  /**
   * A direct Postgres connection string for LISTEN (not through PgBouncer in transaction mode),
   * so the relay wakes as soon as an outbox row commits. Default: where `db` connects when it was
   * built by `createDatabase`; for any other Kysely instance the relay only polls (and logs so once).
   */
  readonly listenConnectionString?: string | undefined;
  /** The slow poll behind LISTEN/NOTIFY and the immediate hand-off. Default 5000 ms. */
  readonly pollIntervalMs?: number;
  /** Rows claimed (and given to the producer) per transaction. Default 100. */
  readonly batchSize?: number;
  /** Keep sent rows this long (for `idem outbox list --status sent`), then remove them. Default 0. */
  readonly keepSentForMs?: number;
}

/** A relay's state for readiness probes and dashboards. */
export interface OutboxRelayHealth {
  readonly status: 'idle' | 'running' | 'stopping' | 'stopped';
  readonly database: DependencyHealth;
  /** True while the LISTEN connection is up (always false when the relay only polls). */
  readonly listening: boolean;
  /** Rows confirmed sent since start. */
  readonly sent: number;
  /** Sends that failed since start (retried or failed for good). */
  readonly failures: number;
}

/** A running outbox relay. Built by {@link createOutboxRelay}. */
export interface OutboxRelay {
  /** Starts the producer and the relay; rejects with the producer's coded error when it cannot start. */
  start(): Promise<void>;
  /** Stops claiming, lets the batch in hand finish (or abort its sends), stops the producer. Leaves nothing running. */
  stop(): Promise<void>;
  health(): OutboxRelayHealth;
  /** Looks for rows at once: called by a consumer right after a commit. */
  wake(): void;
}

const REMOVAL_BATCH = 1000;

/**
 * Creates an outbox relay: it delivers committed outbox rows through `producer`, at least once
 * each, and marks a row sent only after the producer reported it sent. Several relays (and
 * consumers) can run on one database: rows are claimed with `FOR UPDATE SKIP LOCKED`. Rows of
 * one message group go out one at a time in commit order; a group whose row failed for good
 * holds its later rows until an operator retries or purges it (`idem outbox`).
 *
 * A started relay keeps the process alive through database and broker outages (one log line
 * per outage); only `stop()` ends it.
 *
 * @example
 * ```ts
 * const db = createDatabase({ connectionString: process.env.DATABASE_URL ?? '' });
 * const relay = createOutboxRelay({ db, producer }); // LISTENs on db's connection settings
 * await relay.start();
 * process.once('SIGTERM', () => void relay.stop());
 * ```
 */
export function createOutboxRelay<DB>(options: OutboxRelayOptions<DB>): OutboxRelay {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertSchemaName(schema);
  const pollIntervalMs = positive('pollIntervalMs', options.pollIntervalMs ?? 5000);
  const batchSize = positive('batchSize', options.batchSize ?? 100);
  const keepSentForMs = options.keepSentForMs ?? 0;
  if (!(keepSentForMs >= 0)) throw invalid('keepSentForMs', keepSentForMs, 'a number of milliseconds >= 0');
  const { producer } = options;
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = (options.db as unknown as Kysely<unknown>).withoutPlugins();
  const logger = options.logger ?? silentLogger;
  const fields = { schema, producer: producer.description };
  const database = new OutageTracker(logger, 'Postgres (outbox relay)', fields);
  const stopController = new AbortController();
  const signal = stopController.signal;
  const wakeup = new RelayWakeup();
  const counts = { sent: 0, failures: 0 };
  const metrics: OutboxRelayMetrics = {
    sent: (count) => {
      counts.sent += count;
      options.metrics?.sent(count);
    },
    failed: (count, permanent) => {
      counts.failures += count;
      options.metrics?.failed(count, permanent);
    },
    groupHeld: (group) => options.metrics?.groupHeld(group),
    sentLag: (seconds) => options.metrics?.sentLag?.(seconds),
  };
  let status: OutboxRelayHealth['status'] = 'idle';
  let listening = false;
  let running: Promise<unknown> | undefined;
  let stopping: Promise<void> | undefined;

  async function relayLoop(): Promise<void> {
    const backoff = createBackoff({ initialMs: 100, maxMs: 5000 });
    let lastRemoval = 0;
    while (!signal.aborted) {
      let claimed: number;
      try {
        const batch = {
          db,
          schema,
          producer,
          batchSize,
          keepSent: keepSentForMs > 0,
          logger,
          metrics,
          signal,
        };
        claimed = await deliverOutboxBatch(batch);
        if (keepSentForMs > 0 && Date.now() - lastRemoval >= pollIntervalMs) {
          lastRemoval = Date.now();
          await removeSentOutboxRows(db, schema, keepSentForMs, REMOVAL_BATCH);
        }
        database.succeeded();
        backoff.reset();
      } catch (error) {
        if (signal.aborted) break;
        database.failed(error);
        logger.debug({ ...fields, err: error }, 'outbox relay round failed; retrying');
        await sleep(backoff.next(), signal);
        continue;
      }
      // A claim only takes each group's head: after a non-empty round the next heads are due.
      if (claimed > 0) continue;
      await wakeup.wait(pollIntervalMs, signal);
    }
  }

  return {
    async start() {
      if (status !== 'idle') {
        throw new IdemError('INVALID_CONFIGURATION', `start() called on an outbox relay that is ${status}`);
      }
      status = 'running';
      try {
        await producer.start();
      } catch (error) {
        status = 'stopped';
        if (error instanceof IdemError) throw error;
        throw new IdemError('STARTUP_FAILED', `could not start ${producer.description}: ${String(error)}`, {
          cause: error,
        });
      }
      const loops = [relayLoop()];
      const connection = listenConnection(options);
      if (connection === undefined) {
        logger.info(
          { ...fields, pollIntervalMs },
          `outbox relay polls every ${pollIntervalMs} ms and does not LISTEN: give it listenConnectionString, or a db made by createDatabase, to send rows as soon as they commit`,
        );
      } else {
        loops.push(
          listenForOutboxRows({
            connection,
            schema,
            logger,
            signal,
            onRows: () => wakeup.wake(),
            onListening: (up) => {
              listening = up;
            },
          }),
        );
      }
      running = Promise.all(loops);
      logger.info(fields, 'outbox relay started');
    },

    async stop() {
      stopping ??= (async () => {
        if (status === 'idle') {
          status = 'stopped';
          return;
        }
        status = 'stopping';
        stopController.abort();
        await running;
        await producer.stop().catch((error: unknown) => {
          logger.warn({ ...fields, err: error }, 'stopping the producer failed');
        });
        status = 'stopped';
        logger.info(fields, 'outbox relay stopped');
      })();
      await stopping;
    },

    health() {
      const state = database.state;
      return {
        status,
        database: { reachable: state.up, since: state.since },
        listening,
        sent: counts.sent,
        failures: counts.failures,
      };
    },

    wake() {
      wakeup.wake();
    },
  };
}

function listenConnection<DB>(options: OutboxRelayOptions<DB>): DatabaseConnectionSettings | undefined {
  if (options.listenConnectionString !== undefined)
    return { connectionString: options.listenConnectionString };
  return connectionSettingsOf(options.db);
}

function positive(name: string, value: number): number {
  if (!(Number.isFinite(value) && value > 0)) throw invalid(name, value, 'a positive number');
  return value;
}

function invalid(name: string, value: unknown, expected: string): IdemError {
  return new IdemError(
    'INVALID_CONFIGURATION',
    `option ${name} must be ${expected}, got ${JSON.stringify(value)}`,
  );
}
