interface PendingAck<Receipt> {
  readonly receipt: Receipt;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Acknowledges receipts with at most `maxInFlight` requests at once; receipts that come in
 * while every request is busy wait and share the next one, up to `maxPerRequest` each. Idle, an
 * ack goes out at once; under load, one request carries many receipts: fewer round trips for the
 * consumer, fewer requests for the broker (which keeps a consumer of many small transactions
 * below a service's request limits). Adapters keep one per destination a request can address
 * (a topic, for RocketMQ's gRPC and HTTP acks).
 *
 * `send` resolves when the broker settled every receipt it was given (acked, or refused as no
 * longer valid); when it rejects, every caller whose receipts were in that request rejects with
 * its error and retries them all, so it must accept receipts it already acked.
 */
export class AckBatcher<Receipt> {
  #queue: PendingAck<Receipt>[] = [];
  #inFlight = 0;

  constructor(
    private readonly send: (receipts: Receipt[]) => Promise<void>,
    private readonly maxInFlight: number,
    private readonly maxPerRequest: number,
  ) {}

  /** Resolves when every receipt was acked; rejects with the error of a request that failed. */
  async ack(receipts: readonly Receipt[]): Promise<void> {
    const done = receipts.map(
      (receipt) => new Promise<void>((resolve, reject) => this.#queue.push({ receipt, resolve, reject })),
    );
    this.#pump();
    await Promise.all(done);
  }

  #pump(): void {
    while (this.#inFlight < this.maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.maxPerRequest);
      this.#inFlight += 1;
      void this.send(batch.map((entry) => entry.receipt))
        .then(
          () => {
            for (const entry of batch) entry.resolve();
          },
          (error: unknown) => {
            for (const entry of batch) entry.reject(error);
          },
        )
        .finally(() => {
          this.#inFlight -= 1;
          this.#pump();
        });
    }
  }
}
