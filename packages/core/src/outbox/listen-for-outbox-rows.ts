import pg from 'pg';
import { OUTBOX_CHANNEL } from '#migrations';
import { createBackoff, sleep } from '../consumer/backoff.js';
import { OutageTracker } from '../consumer/outage-tracker.js';
import { raceAbort } from '../consumer/race-abort.js';
import type { DatabaseConnectionSettings } from '../database-connection-settings.js';
import type { Logger } from '../logger.js';

/** Options of {@link listenForOutboxRows}. */
export interface OutboxListenOptions {
  /** A direct session: LISTEN does not work through PgBouncer in transaction mode. */
  readonly connection: DatabaseConnectionSettings;
  readonly schema: string;
  readonly logger: Logger;
  /** Called on each notification for `schema`, and after each (re)connect to catch up. */
  readonly onRows: () => void;
  /** Told whether the LISTEN session is up. */
  readonly onListening: (listening: boolean) => void;
  readonly signal: AbortSignal;
}

/**
 * Holds a dedicated connection that LISTENs for committed outbox inserts, reconnecting with
 * capped backoff after the connection is lost (a database restart), until `signal` aborts.
 * Resolves once the connection is closed after the abort.
 */
export async function listenForOutboxRows(options: OutboxListenOptions): Promise<void> {
  const { signal, logger, schema } = options;
  const tracker = new OutageTracker(logger, 'the outbox LISTEN connection', { schema });
  const backoff = createBackoff({ initialMs: 200, maxMs: 5000 });
  while (!signal.aborted) {
    const client = new pg.Client({
      connectionString: options.connection.connectionString,
      ...(options.connection.ssl === undefined ? {} : { ssl: options.connection.ssl }),
      connectionTimeoutMillis: 5000,
    });
    // An 'error' event without a listener would crash the process; it also ends the session.
    const lost = new Promise<Error>((resolve) => {
      client.on('error', resolve);
      client.on('end', () => resolve(new Error('the LISTEN connection ended')));
    });
    client.on('notification', (notification) => {
      if (notification.channel === OUTBOX_CHANNEL && notification.payload === schema) options.onRows();
    });
    try {
      await raceAbort(client.connect(), signal, () => undefined);
      if (signal.aborted) break;
      await client.query(`listen ${OUTBOX_CHANNEL}`);
      options.onListening(true);
      tracker.succeeded();
      backoff.reset();
      // Rows committed while we were not listening were never notified to us.
      options.onRows();
      const reason = await raceAbort(lost, signal, () => undefined);
      if (reason !== undefined) tracker.failed(reason);
    } catch (error) {
      if (!signal.aborted) tracker.failed(error);
    } finally {
      options.onListening(false);
      await client.end().catch(() => {});
    }
    if (!signal.aborted) await sleep(backoff.next(), signal);
  }
}
