import type { Logger } from '../logger.js';
import type { MessageSource } from './message-source.js';

/**
 * Keeps one delivery invisible while it is being handled, by extending its lease at a third of
 * the lease length: a handler slower than the broker's invisible time is not handed to another
 * consumer underneath it. Without `extendLease` on the source, it only holds the receipt.
 */
export class LeaseKeeper<Receipt> {
  #receipt: Receipt;
  #timer: NodeJS.Timeout | undefined;
  #extending: Promise<void> | undefined;

  constructor(
    private readonly source: MessageSource<Receipt>,
    receipt: Receipt,
    private readonly logger: Logger,
    private readonly fields: Record<string, unknown>,
  ) {
    this.#receipt = receipt;
    const { leaseMs } = source;
    if (leaseMs === undefined || source.extendLease === undefined) return;
    this.#timer = setInterval(() => this.#extend(leaseMs), Math.max(100, Math.floor(leaseMs / 3)));
    this.#timer.unref();
  }

  /** The receipt to settle the delivery with: extensions may replace it. */
  get receipt(): Receipt {
    return this.#receipt;
  }

  /** Stops extending and waits for an extension under way, so its new receipt is not lost. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#extending;
  }

  #extend(leaseMs: number): void {
    const extendLease = this.source.extendLease;
    if (this.#extending !== undefined || extendLease === undefined) return;
    this.#extending = extendLease
      .call(this.source, this.#receipt, leaseMs)
      .then((receipt) => {
        this.#receipt = receipt;
      })
      .catch((error: unknown) => {
        // The broker may be restarting; the next tick tries again. If the lease runs out the
        // message is redelivered and the duplicate is skipped.
        this.logger.debug({ ...this.fields, err: error }, 'lease extension failed');
      })
      .finally(() => {
        this.#extending = undefined;
      });
  }
}
