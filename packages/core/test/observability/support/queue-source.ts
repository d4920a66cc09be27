import type { MessageSource, ReceivedMessage } from '../../../src/consumer/message-source.js';
import type { InboundMessage } from '../../../src/message.js';

/**
 * A broker held in memory: the smallest real {@link MessageSource}, so the consumer runtime runs
 * its own loop (receive, dispatch, ack) against it. Receipts are message ids.
 */
export class QueueSource implements MessageSource<string> {
  readonly description = 'in-memory queue';
  /** Set it to have the runtime extend deliveries; each extension appends `+` to the receipt. */
  readonly leaseMs: number | undefined;
  readonly acked: string[] = [];
  /** The `max` of every receive, in order: how many slots the runtime had free. */
  readonly receives: number[] = [];
  /** Every `extendLease` call: the receipt extended and by how long. */
  readonly extensions: { readonly receipt: string; readonly ms: number }[] = [];
  /** Every `retryLater` call. */
  readonly retries: { readonly receipt: string; readonly delayMs: number }[] = [];
  closed = false;
  /** While true, every ack rejects as if the broker were being upgraded. */
  failAcks = false;
  /** While true, every receive rejects as if the broker were unreachable. */
  unreachable = false;
  #queue: InboundMessage[] = [];
  #wake: (() => void) | undefined;

  constructor(options: { readonly leaseMs?: number } = {}) {
    this.leaseMs = options.leaseMs;
  }

  /** Messages pushed and not yet received. */
  get queued(): number {
    return this.#queue.length;
  }

  push(...messages: InboundMessage[]): void {
    this.#queue.push(...messages);
    this.#wake?.();
  }

  async start(): Promise<void> {}

  async receive(max: number, signal: AbortSignal): Promise<ReceivedMessage<string>[]> {
    this.receives.push(max);
    if (this.unreachable) throw new Error('connect ECONNREFUSED (queue marked unreachable)');
    if (this.#queue.length === 0 && !signal.aborted) {
      // A short long-poll: wake on a push, a stop, or after 50 ms to re-check the flags.
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          this.#wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, 50);
        this.#wake = done;
        signal.addEventListener('abort', done, { once: true });
      });
    }
    // As the MessageSource contract says: an aborted receive resolves empty.
    if (signal.aborted) return [];
    return this.#queue.splice(0, max).map((message) => ({ message, receipt: message.messageId }));
  }

  async ack(receipts: readonly string[]): Promise<void> {
    if (this.failAcks) throw new Error('ack lost: broker is upgrading');
    this.acked.push(...receipts);
  }

  async retryLater(receipt: string, delayMs: number): Promise<void> {
    this.retries.push({ receipt, delayMs });
  }

  async extendLease(receipt: string, ms: number): Promise<string> {
    this.extensions.push({ receipt, ms });
    return `${receipt}+`;
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
