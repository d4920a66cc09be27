interface PendingAck {
  readonly handle: string;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Sends the acks of one topic with at most `maxInFlight` requests at once; handles that come in
 * while every request is busy wait and share the next one, up to `maxPerRequest` each. Idle, an
 * ack goes out at once; under load, one request carries many handles, which keeps a consumer
 * of many small transactions below the service's request limits (`QpsLimitExceeded`).
 */
export class AckBatcher {
  #queue: PendingAck[] = [];
  #inFlight = 0;

  constructor(
    private readonly send: (handles: string[]) => Promise<void>,
    private readonly maxInFlight: number,
    private readonly maxPerRequest: number,
  ) {}

  /** Resolves when every handle was acked; rejects with the error of a request that failed. */
  async ack(handles: readonly string[]): Promise<void> {
    const done = handles.map(
      (handle) => new Promise<void>((resolve, reject) => this.#queue.push({ handle, resolve, reject })),
    );
    this.#pump();
    await Promise.all(done);
  }

  #pump(): void {
    while (this.#inFlight < this.maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.maxPerRequest);
      this.#inFlight += 1;
      void this.send(batch.map((entry) => entry.handle))
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
