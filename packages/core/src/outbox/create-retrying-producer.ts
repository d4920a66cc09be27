import { createBackoff, sleep } from '../consumer/backoff.js';
import { OutageTracker } from '../consumer/outage-tracker.js';
import { IdemError, toError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { linkAbort } from './link-abort.js';
import { messageLanes, runLanes } from './message-lanes.js';
import type { MessageProducer, SendOptions, SendOutcome } from './message-producer.js';
import type { ProducerMessage } from './outbound-message.js';
import type { ProducerTransport } from './producer-transport.js';

/** How a producer retries; shared by `createTcpProducer` and `createHttpProducer`. */
export interface ProducerRetryOptions {
  /** Where the outage warning and recovery lines go; never one line per retry. Default silent. */
  readonly logger?: Logger;
  /**
   * How long one message is retried through transport failures before `send` reports it as a
   * retryable `SEND_FAILED`. Default 120 000 ms: broker upgrades interrupt service for up to a
   * minute, twice that leaves room. An AbortSignal in `SendOptions` ends it sooner.
   */
  readonly retryForMs?: number;
  /** One attempt is abandoned (and retried) after this long. Default 10 000 ms. */
  readonly attemptTimeoutMs?: number;
  /** First delay between attempts. Default 100 ms; it grows with jitter up to `maxRetryDelayMs`. */
  readonly initialRetryDelayMs?: number;
  /** Cap of the delay between attempts: how soon after the broker is back sending resumes. Default 5000 ms. */
  readonly maxRetryDelayMs?: number;
  /** Messages (or message groups) in flight at once per `send` call. Default 16. */
  readonly concurrency?: number;
}

// The tracker believes an outage over after 2 s of successes; a producer may fall silent right
// after the burst that ended it, so the check is run once more when that time has passed.
const OUTAGE_STABLE_MS = 2000;

/**
 * Turns a single-attempt {@link ProducerTransport} into a reliable {@link MessageProducer}: a
 * message is reported `sent` only with the broker's message id; transport failures are retried
 * with capped, jittered backoff for `retryForMs`, each attempt bounded by `attemptTimeoutMs`;
 * a refusal of the message (`MESSAGE_REJECTED`) is reported at once and never blocks other
 * messages; an outage logs one warning when it starts and one info line when it ends.
 *
 * Messages of one `messageGroup` go one at a time, in order; after one of them failed with a
 * retryable error the later ones of that group are not sent (a retryable `SEND_FAILED`), so the
 * group's order survives a re-send. A rejected message does not hold its group back: it can
 * never be sent.
 *
 * @example
 * ```ts
 * import { createRetryingProducer, type ProducerTransport } from '@idem/core/adapter';
 * declare const transport: ProducerTransport;
 * const producer = createRetryingProducer(transport, { retryForMs: 120_000 });
 * ```
 */
export function createRetryingProducer(
  transport: ProducerTransport,
  options: ProducerRetryOptions = {},
): MessageProducer {
  const logger = options.logger ?? silentLogger;
  const retryForMs = positive('retryForMs', options.retryForMs ?? 120_000);
  const attemptTimeoutMs = positive('attemptTimeoutMs', options.attemptTimeoutMs ?? 10_000);
  const initialMs = positive('initialRetryDelayMs', options.initialRetryDelayMs ?? 100);
  const maxMs = positive('maxRetryDelayMs', options.maxRetryDelayMs ?? 5000);
  const concurrency = positive('concurrency', options.concurrency ?? 16);
  const tracker = new OutageTracker(
    logger,
    `the broker (${transport.description})`,
    { transport: transport.description },
    { stableMs: OUTAGE_STABLE_MS },
  );
  let stopping = new AbortController();
  let recoveryCheck: NodeJS.Timeout | undefined;

  const succeeded = (): void => {
    tracker.succeeded();
    if (tracker.state.up || recoveryCheck !== undefined) return;
    recoveryCheck = setTimeout(() => {
      recoveryCheck = undefined;
      // Only a failure since the last success resets the window; none came, so it is over.
      tracker.succeeded();
    }, OUTAGE_STABLE_MS + 50);
    // A log line is no reason to keep a process alive.
    recoveryCheck.unref();
  };

  async function attempt(message: ProducerMessage, signal: AbortSignal): Promise<string> {
    const controller = new AbortController();
    const unlink = linkAbort(controller, [signal]);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(
          new IdemError('SEND_FAILED', `the broker did not confirm within ${attemptTimeoutMs} ms`, {
            retryable: true,
          }),
        );
      }, attemptTimeoutMs);
    });
    const aborted = new Promise<never>((_, reject) => {
      const fail = (): void =>
        reject(
          new IdemError('SEND_FAILED', 'sending was aborted before the broker confirmed', {
            retryable: true,
          }),
        );
      if (controller.signal.aborted) fail();
      else controller.signal.addEventListener('abort', fail, { once: true });
    });
    const work = transport.sendOnce(message, controller.signal);
    try {
      return await Promise.race([work, timedOut, aborted]);
    } finally {
      clearTimeout(timer);
      unlink();
      // The losers may settle later; nobody awaits them.
      work.catch(() => {});
      timedOut.catch(() => {});
      aborted.catch(() => {});
      controller.abort();
    }
  }

  async function sendOne(message: ProducerMessage, signal: AbortSignal): Promise<SendOutcome> {
    const giveUpAt = Date.now() + retryForMs;
    const backoff = createBackoff({ initialMs, maxMs });
    for (;;) {
      let error: IdemError;
      try {
        const messageId = await attempt(message, signal);
        succeeded();
        return { status: 'sent', messageId };
      } catch (thrown) {
        error = toIdemError(thrown);
      }
      if (!error.retryable) {
        // The broker answered: it is there, it refused this message.
        succeeded();
        logger.warn(
          { transport: transport.description, topic: message.topic, id: message.id, code: error.code },
          `message ${message.id} to topic "${message.topic}" was refused: ${error.message}`,
        );
        return { status: 'failed', error };
      }
      if (signal.aborted) return { status: 'failed', error };
      tracker.failed(error);
      const delay = backoff.next();
      if (Date.now() + delay > giveUpAt) {
        return {
          status: 'failed',
          error: new IdemError(
            'SEND_FAILED',
            `the broker did not confirm message ${message.id} to topic "${message.topic}" within ${retryForMs} ms of retries: ${error.message}`,
            { retryable: true, cause: error },
          ),
        };
      }
      await sleep(delay, signal);
    }
  }

  return {
    description: transport.description,
    async start() {
      if (stopping.signal.aborted) stopping = new AbortController();
      await transport.start();
    },
    async send(messages: readonly ProducerMessage[], sendOptions: SendOptions = {}): Promise<SendOutcome[]> {
      const controller = new AbortController();
      const unlink = linkAbort(controller, [sendOptions.signal, stopping.signal]);
      const outcomes: SendOutcome[] = new Array(messages.length);
      try {
        await runLanes(messageLanes(messages), concurrency, async (lane) => {
          let blockedBy: ProducerMessage | undefined;
          for (const index of lane) {
            const message = messages[index] as ProducerMessage;
            if (blockedBy !== undefined) {
              outcomes[index] = {
                status: 'failed',
                error: new IdemError(
                  'SEND_FAILED',
                  `not sent: message ${blockedBy.id} before it in message group "${message.messageGroup}" was not confirmed`,
                  { retryable: true },
                ),
              };
              continue;
            }
            const outcome = await sendOne(message, controller.signal);
            outcomes[index] = outcome;
            if (outcome.status === 'failed' && outcome.error.retryable) blockedBy = message;
          }
        });
      } finally {
        unlink();
      }
      return outcomes;
    },
    async stop() {
      stopping.abort();
      clearTimeout(recoveryCheck);
      recoveryCheck = undefined;
      await transport.stop();
    },
  };
}

/** Keeps a transport's IdemError; anything else it threw is a transport failure, retried. */
function toIdemError(thrown: unknown): IdemError {
  if (thrown instanceof IdemError) return thrown;
  const error = toError(thrown);
  return new IdemError('SEND_FAILED', error.message, { retryable: true, cause: error });
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new IdemError('INVALID_CONFIGURATION', `${name} must be a number above 0, got ${value}`);
  }
  return value;
}
