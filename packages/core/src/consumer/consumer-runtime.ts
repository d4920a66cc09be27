import { ExponentialBackoff, handleAll, retry } from 'cockatiel';
import { IdemError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import type { InboundMessage } from '../message.js';
import type { OutboxRelay } from '../outbox/create-outbox-relay.js';
import type { Processor } from '../processor/create-processor.js';
import {
  type DispatchOutcome,
  type DispatchResult,
  shouldAcknowledge,
} from '../processor/dispatch-result.js';
import { createBackoff, sleep } from './backoff.js';
import { checkDatabaseAtStart } from './check-database-at-start.js';
import type { ConsumerHealth, ConsumerStatus } from './consumer-health.js';
import {
  type ConsumerEvent,
  type ConsumerLoopOptions,
  integerInRange,
  resolveConsumerLoopOptions,
} from './consumer-loop-options.js';
import { handOffCommitted } from './consumer-outbox.js';
import { DatabaseGate } from './database-gate.js';
import { keepProcessAlive, type ProcessKeepAlive } from './keep-process-alive.js';
import { LeaseKeeper } from './lease-keeper.js';
import type { MessageSource, ReceivedMessage } from './message-source.js';
import { OutageTracker } from './outage-tracker.js';
import { waitOrAbort } from './race-abort.js';
import { raceTimeout } from './race-timeout.js';

/** Options of {@link createConsumerRuntime}: the loop options, the source and the processor. */
export interface ConsumerRuntimeOptions<Receipt> extends ConsumerLoopOptions {
  readonly source: MessageSource<Receipt>;
  readonly processor: Processor;
  /**
   * Receives running at once. Default 1. More let one consumer long-poll several topics or
   * queues in parallel; deliveries in flight stay bounded by `concurrency` either way.
   */
  readonly receivers?: number;
  /** The most messages one receive of this source can return. Default none. */
  readonly maxBatchSize?: number;
  readonly logger?: Logger;
  /**
   * Delivers what handlers send (`ctx.send`): woken right after each commit, and polling for
   * rows a crash left behind. Started and stopped with the consumer. See `createConsumerOutbox`.
   */
  readonly outbox?: OutboxRelay;
}

/** A running consumer. */
export interface ConsumerRuntime {
  /**
   * Checks the database and Idem's schema version, then connects to the broker and starts
   * consuming. Rejects with a coded error: `SCHEMA_NOT_MIGRATED` (run `idem migrate`),
   * `DATABASE_UNAVAILABLE` (Postgres unreachable, under `onDatabaseUnavailableAtStart: 'fail'`;
   * by default it waits), `STARTUP_FAILED` (stopped while waiting) or the broker's error.
   */
  start(): Promise<void>;
  /**
   * Stops receiving, lets in-flight messages finish and acks them, then disconnects, all within
   * the shutdown timeout. Messages not finished by then are redelivered later (and skipped if
   * they did commit). Safe to call more than once.
   */
  stop(): Promise<void>;
  health(): ConsumerHealth;
}

const TRANSIENT_CODES = new Set(['LOCK_TIMEOUT', 'TRANSACTION_CONFLICT']);

/**
 * The transport-neutral consumer loop every adapter runs: receive, dispatch through the
 * processor, ack after commit, extend leases of slow handlers, keep FIFO groups in order, pause
 * on database outages, ride out broker outages with capped backoff and two log lines, and stop
 * gracefully.
 */
export function createConsumerRuntime<Receipt>(options: ConsumerRuntimeOptions<Receipt>): ConsumerRuntime {
  const { source, processor } = options;
  const {
    concurrency,
    batchSize,
    mode,
    retryDelayMs,
    shutdownTimeoutMs,
    onDatabaseUnavailableAtStart,
    onEvent,
  } = resolveConsumerLoopOptions(
    options,
    options.maxBatchSize === undefined ? {} : { maxBatchSize: options.maxBatchSize },
  );
  const receivers = integerInRange('receivers', options.receivers ?? 1);
  const logger = options.logger ?? silentLogger;
  const fields = { consumerGroup: processor.consumerGroup, transport: source.description };

  const stopController = new AbortController();
  const signal = stopController.signal;
  const broker = new OutageTracker(logger, `the broker (${source.description})`, fields);
  const gate = new DatabaseGate(() => processor.checkDatabase(), logger, signal, { fields });
  // Capped at 1 s: consumption resumes within about a second of the broker being back.
  const receiveBackoff = createBackoff({ initialMs: 100, maxMs: 1000 });
  const ackPolicy = retry(handleAll, {
    maxAttempts: 2,
    backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 1000 }),
  });
  const outcomes: Record<DispatchOutcome, number> = {
    processed: 0,
    duplicate: 0,
    failed: 0,
    'dead-lettered': 0,
  };
  const tasks = new Set<Promise<void>>();
  const groupTails = new Map<string, Promise<void>>();
  const blockedGroups = new Set<string>();
  // Slots are reserved before a receive; `inFlight` counts only messages actually received.
  let slotsUsed = 0;
  let inFlight = 0;
  let slotWaiters: (() => void)[] = [];
  let status: ConsumerStatus = 'idle';
  let loop: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let starting: Promise<void> | undefined;
  let lastMessageAt: Date | undefined;
  let ackFailures = 0;
  let keepAlive: ProcessKeepAlive | undefined;

  const emit = (event: ConsumerEvent): void => {
    try {
      onEvent(event);
    } catch (error) {
      logger.error({ ...fields, err: error }, 'onEvent threw; events keep flowing');
    }
  };

  async function receiveLoop(): Promise<void> {
    while (!signal.aborted) {
      await gate.whenOpen();
      // In batch mode wait for room for half a batch, so transactions do not shrink to a
      // message or two whenever a few slots free up.
      await slotFree(mode === 'batch' ? Math.max(1, Math.floor(Math.min(batchSize, concurrency) / 2)) : 1);
      if (signal.aborted) break;
      // Reserve the slots before receiving, so parallel receivers never overshoot concurrency.
      const wanted = Math.min(batchSize, concurrency - slotsUsed);
      slotsUsed += wanted;
      let received: ReceivedMessage<Receipt>[];
      try {
        received = await source.receive(wanted, signal);
      } catch (error) {
        releaseSlots(wanted);
        if (signal.aborted) break;
        broker.failed(error);
        await sleep(receiveBackoff.next(), signal);
        continue;
      }
      releaseSlots(wanted - received.length);
      broker.succeeded();
      receiveBackoff.reset();
      if (received.length === 0) continue;
      lastMessageAt = new Date();
      emit({ type: 'received', count: received.length });
      schedule(received);
    }
  }

  function schedule(received: ReceivedMessage<Receipt>[]): void {
    const ordered = received.filter((item) => item.message.messageGroup !== undefined);
    const unordered = received.filter((item) => item.message.messageGroup === undefined);
    if (mode === 'batch' && unordered.length > 0) track(unordered.length, () => handleBatch(unordered));
    else for (const item of unordered) track(1, async () => void (await handleOne(item)));
    for (const item of ordered) {
      track(1, () => inGroupOrder(item.message.messageGroup ?? '', () => handleOne(item)));
    }
  }

  /** Runs work that holds `slots` already reserved, and gives them back when it ends. */
  function track(slots: number, work: () => Promise<void>): void {
    inFlight += slots;
    const task: Promise<void> = work()
      .catch((error: unknown) =>
        logger.error({ ...fields, err: error }, 'unexpected error while settling a message'),
      )
      .finally(() => {
        tasks.delete(task);
        inFlight -= slots;
        releaseSlots(slots);
      });
    tasks.add(task);
  }

  function releaseSlots(slots: number): void {
    if (slots === 0) return;
    slotsUsed -= slots;
    const waiters = slotWaiters;
    slotWaiters = [];
    for (const resolve of waiters) resolve();
  }

  async function slotFree(wanted: number): Promise<void> {
    while (concurrency - slotsUsed < wanted && !signal.aborted) {
      await waitOrAbort(signal, (wake) => slotWaiters.push(wake));
    }
  }

  /**
   * Messages of one FIFO group run one after another, in the order received. Once one of them
   * is not acked (its handler failed), the group's later messages from the same receives are
   * left unacked too: they come back after it, so the group's order survives the failure.
   */
  async function inGroupOrder(group: string, work: () => Promise<boolean>): Promise<void> {
    const previous = groupTails.get(group) ?? Promise.resolve();
    const run = previous.then(async () => {
      if (blockedGroups.has(group)) return;
      if (!(await work())) blockedGroups.add(group);
    });
    const tail = run.catch(() => {});
    groupTails.set(group, tail);
    await run;
    if (groupTails.get(group) === tail) {
      groupTails.delete(group);
      blockedGroups.delete(group);
    }
  }

  /** Handles one delivery; resolves true when it was acked. */
  async function handleOne(item: ReceivedMessage<Receipt>): Promise<boolean> {
    const lease = new LeaseKeeper(source, item.receipt, logger, {
      ...fields,
      messageId: item.message.messageId,
    });
    let result: DispatchResult;
    try {
      result = await dispatchHolding(async () => [await processor.dispatch(item.message)]).then(([only]) => {
        if (only === undefined) throw new Error('processor returned no result');
        return only;
      });
    } finally {
      await lease.stop();
    }
    await settle([{ result, message: item.message, receipt: lease.receipt }]);
    return shouldAcknowledge(result);
  }

  async function handleBatch(items: ReceivedMessage<Receipt>[]): Promise<void> {
    const leases = items.map(
      (item) =>
        new LeaseKeeper(source, item.receipt, logger, { ...fields, messageId: item.message.messageId }),
    );
    let results: DispatchResult[];
    try {
      results = await dispatchHolding(() => processor.dispatchBatch(items.map((item) => item.message)));
    } finally {
      await Promise.all(leases.map((lease) => lease.stop()));
    }
    await settle(
      items.map((item, index) => ({
        result: results[index] ?? missingResult(item.message),
        message: item.message,
        receipt: leases[index]?.receipt ?? item.receipt,
      })),
    );
  }

  /**
   * Dispatches, and while the database is at fault holds the messages (their leases kept alive)
   * and dispatches again once it is back: an outage costs no delivery attempt. Lock timeouts and
   * serialization conflicts are retried after a short jittered pause.
   */
  async function dispatchHolding(dispatch: () => Promise<DispatchResult[]>): Promise<DispatchResult[]> {
    for (;;) {
      const results = await dispatch();
      const blocked = results.find((result) => result.outcome === 'failed' && result.retryable);
      if (blocked === undefined || blocked.outcome !== 'failed' || signal.aborted) {
        if (blocked === undefined) gate.succeeded();
        return results;
      }
      if (TRANSIENT_CODES.has(blocked.error.code)) {
        await sleep(50 + Math.random() * 200, signal);
      } else {
        gate.close(blocked.error);
        await gate.whenOpen();
      }
      if (signal.aborted) return results;
    }
  }

  async function settle(
    settled: readonly { result: DispatchResult; message: InboundMessage; receipt: Receipt }[],
  ): Promise<void> {
    handOffCommitted(options.outbox, settled);
    const toAck: Receipt[] = [];
    for (const { result, message, receipt } of settled) {
      outcomes[result.outcome] += 1;
      emit({ type: 'settled', result, message });
      if (shouldAcknowledge(result)) toAck.push(receipt);
      else if (result.outcome === 'failed' && !result.retryable && source.retryLater !== undefined) {
        await source.retryLater(receipt, retryDelayMs(message.deliveryAttempt)).catch((error: unknown) => {
          logger.debug({ ...fields, messageId: message.messageId, err: error }, 'retryLater failed');
        });
      }
    }
    if (toAck.length === 0) return;
    try {
      await ackPolicy.execute(() => source.ack(toAck));
      broker.succeeded();
    } catch (error) {
      // Left to redelivery: the broker hands the message out again and the duplicate is skipped.
      // Not an outage by itself (a lost ack is routine during upgrades); receives tell that.
      ackFailures += toAck.length;
      logger.debug({ ...fields, count: toAck.length, err: error }, 'ack not confirmed; left to redelivery');
      emit({ type: 'ack-failed', count: toAck.length, error });
    }
  }

  /** The body of start(): checks the database, connects, and starts the receive loops. */
  async function startConsuming(): Promise<void> {
    // Only stop() lets the process of a started consumer end, whatever outage it waits out.
    const held = keepProcessAlive();
    keepAlive = held;
    // Before the broker: nothing is received (and no connection is left open) while the
    // database cannot take what would be received.
    await checkDatabaseAtStart({
      processor,
      onUnavailable: onDatabaseUnavailableAtStart,
      logger,
      signal,
      fields,
    }).catch((error: unknown) => {
      status = 'stopped';
      held.release();
      throw error;
    });
    try {
      await options.outbox?.start();
      await source.start();
      // stop() came while connecting: it is waiting for this start to settle, then closes.
      if (signal.aborted)
        throw new IdemError('STARTUP_FAILED', 'stop() was called while the consumer was starting');
    } catch (error) {
      status = 'stopped';
      held.release();
      await options.outbox?.stop();
      await source.close().catch(() => {});
      if (error instanceof IdemError) throw error;
      throw new IdemError(
        'STARTUP_FAILED',
        `could not start consuming from ${source.description}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    broker.succeeded();
    status = 'running';
    logger.info({ ...fields, subscriptions: processor.subscriptions }, 'consumer started');
    loop = Promise.all(Array.from({ length: receivers }, () => receiveLoop())).then(() => {});
  }

  return {
    start() {
      if (status !== 'idle') {
        return Promise.reject(
          new IdemError(
            'INVALID_CONFIGURATION',
            `start() called on a consumer that is ${status}; create a new consumer`,
          ),
        );
      }
      status = 'starting';
      // Returned as is (no extra await): stop() waits on `starting`, and a consumer stopped right
      // after start() resolved must be aborted before its first receive gets to open a call.
      starting = startConsuming();
      return starting;
    },

    async stop() {
      stopping ??= (async () => {
        if (status === 'idle') {
          status = 'stopped';
          return;
        }
        const wasStarting = status === 'starting';
        status = 'stopping';
        stopController.abort();
        // A start in progress ends promptly once aborted (the wait for Postgres included); it
        // must settle before closing, or what it opens would outlive the stop.
        if (wasStarting) await starting?.catch(() => {});
        await loop;
        const drained = await raceTimeout(
          Promise.allSettled([...tasks]).then(() => true),
          shutdownTimeoutMs,
          () => false,
        );
        if (!drained) {
          logger.error(
            { ...fields, inFlight: tasks.size, code: 'SHUTDOWN_TIMEOUT' },
            `stopped with messages still in flight after ${shutdownTimeoutMs} ms; the broker redelivers them and any that committed are skipped`,
          );
        }
        await options.outbox?.stop();
        await raceTimeout(source.close(), 10_000, () => undefined).catch((error: unknown) => {
          logger.warn({ ...fields, err: error }, 'closing the broker connection failed');
        });
        keepAlive?.release();
        status = 'stopped';
        logger.info(fields, 'consumer stopped');
      })();
      await stopping;
    },

    health() {
      const brokerState = broker.state;
      const databaseState = gate.tracker.state;
      return {
        status,
        ready: status === 'running' && brokerState.up && databaseState.up,
        broker: { reachable: brokerState.up, since: brokerState.since },
        database: { reachable: databaseState.up, since: databaseState.since },
        inFlight,
        lastMessageAt,
        outcomes: { ...outcomes },
        ackFailures,
      };
    },
  };
}

function missingResult(message: InboundMessage): DispatchResult {
  return {
    outcome: 'failed',
    key: message.messageId,
    messageId: message.messageId,
    handler: undefined,
    durationMs: 0,
    error: new IdemError('INTERNAL_ERROR', 'the processor returned fewer results than messages', {
      retryable: false,
    }),
    retryable: false,
  };
}
