/**
 * How an outage looks from the client: `refuse` (nothing listens: ECONNREFUSED), `reset`
 * (connections are reset: ECONNRESET), `503` (every request is answered 503), `hang`
 * (requests are accepted and never answered).
 */
export type MqHttpOutageMode = 'refuse' | 'reset' | '503' | 'hang';

/** Counters of an MQ HTTP peer since it started; a snapshot, see `MqHttpPeer.stats()`. */
export interface MqHttpPeerStats {
  /** HTTP requests that reached the peer, faulted ones included. */
  readonly requests: number;
  /** Messages stored, through the SDK or `MqHttpPeer.publish()`. */
  readonly published: number;
  /** Messages handed out in consume answers: first deliveries, redeliveries and duplicates. */
  readonly deliveries: number;
  /** Deliveries with ConsumedTimes above 1 (the invisible time ran out before an ack). */
  readonly redeliveries: number;
  /** Extra copies added by `duplicateDeliveries()`. */
  readonly duplicates: number;
  /** Receipt handles acked. */
  readonly acks: number;
  /** Receipt handles refused with ReceiptHandleError (unknown, used, expired). */
  readonly rejectedAcks: number;
  /** Ack requests whose answer `loseAcks()` dropped. */
  readonly lostAcks: number;
  /** Of those, the ones whose handles were acked all the same. */
  readonly lostAcksApplied: number;
  /** Error answers by error code, `MessageNotExist` (an empty long poll) included. */
  readonly errors: Readonly<Record<string, number>>;
  /**
   * What outages failed, by mode: `503` and `hang` count requests (a long poll in progress
   * included), `reset` counts connections reset, `refuse` the open connections dropped when it
   * started (refused connection attempts never reach the peer).
   */
  readonly failedRequests: Readonly<Record<MqHttpOutageMode, number>>;
  /** Outages started. */
  readonly outages: number;
  /**
   * Consume requests the peer holds open right now, waiting for a message or their wait time:
   * a gauge, not a counter. A test waits on it to know that a consumer's long poll is in flight.
   */
  readonly heldPolls: number;
}

/** The peer's mutable counters behind {@link MqHttpPeerStats}. */
export class PeerCounters {
  requests = 0;
  published = 0;
  deliveries = 0;
  redeliveries = 0;
  duplicates = 0;
  acks = 0;
  rejectedAcks = 0;
  lostAcks = 0;
  lostAcksApplied = 0;
  outages = 0;
  heldPolls = 0;
  readonly errors = new Map<string, number>();
  readonly failedRequests: Record<MqHttpOutageMode, number> = { refuse: 0, reset: 0, '503': 0, hang: 0 };

  countError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  snapshot(): MqHttpPeerStats {
    return {
      requests: this.requests,
      published: this.published,
      deliveries: this.deliveries,
      redeliveries: this.redeliveries,
      duplicates: this.duplicates,
      acks: this.acks,
      rejectedAcks: this.rejectedAcks,
      lostAcks: this.lostAcks,
      lostAcksApplied: this.lostAcksApplied,
      errors: Object.fromEntries(this.errors),
      failedRequests: { ...this.failedRequests },
      outages: this.outages,
      heldPolls: this.heldPolls,
    };
  }
}
