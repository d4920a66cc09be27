import type { MessageSource, ReceivedMessage } from '../../../src/consumer/message-source.js';
import type { InboundMessage } from '../../../src/message.js';

/**
 * A broker held in memory: the smallest real {@link MessageSource}, so the consumer runtime runs
 * its own loop (receive, dispatch, ack) against it. Receipts are message ids.
 */
export class QueueSource implements MessageSource<string> {
  readonly description = 'in-memory queue';
  readonly leaseMs = undefined;
  readonly acked: string[] = [];
  /** While true, every ack rejects as if the broker were being upgraded. */
  failAcks = false;
  /** While true, every receive rejects as if the broker were unreachable. */
  unreachable = false;
  #queue: InboundMessage[] = [];
  #wake: (() => void) | undefined;

  push(...messages: InboundMessage[]): void {
    this.#queue.push(...messages);
    this.#wake?.();
  }

  async start(): Promise<void> {}

  async receive(max: number, signal: AbortSignal): Promise<ReceivedMessage<string>[]> {
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
    return this.#queue.splice(0, max).map((message) => ({ message, receipt: message.messageId }));
  }

  async ack(receipts: readonly string[]): Promise<void> {
    if (this.failAcks) throw new Error('ack lost: broker is upgrading');
    this.acked.push(...receipts);
  }

  async close(): Promise<void> {}
}
