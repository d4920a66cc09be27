import type { StoredMessage } from './stored-message.js';
import { MATCH_ALL, type TagFilter } from './tag-filter.js';

/** Where one message stands in one consumer group. `acked`, `dead-lettered` and `filtered` are final. */
export type EntryStatus = 'ready' | 'in-flight' | 'acked' | 'dead-lettered' | 'filtered';

/** One message (or an injected duplicate of it) as one consumer group consumes it. */
export interface QueueEntry {
  readonly message: StoredMessage;
  status: EntryStatus;
  /** Deliveries so far; the next one carries `delivery_attempt = attempts + 1`. */
  attempts: number;
  /** Epoch ms from which the entry may be delivered (again), unless a lease holds it. */
  visibleAt: number;
  /** Receipt handle of the current delivery; any other handle is stale. */
  handle: string | undefined;
  /** Client id of the PushConsumer whose `auto_renew` lease keeps the entry invisible. */
  leaseOwner: string | undefined;
  readonly duplicate: boolean;
}

/** Parameters of one pop. */
export interface PopOptions {
  readonly now: number;
  readonly max: number;
  /** One message in flight per message group, in offset order. */
  readonly fifo: boolean;
  readonly maxAttempts: number;
  /** Invisible time of the deliveries (the lease length when `leaseOwner` is set). */
  readonly invisibleMs: number;
  readonly leaseOwner: string | undefined;
  /** Issues the receipt handle of a new delivery. */
  readonly issueHandle: (entry: QueueEntry) => string;
}

/** What a pop changed: deliveries to send and entries that ran out of attempts. */
export interface PopOutcome {
  readonly delivered: readonly QueueEntry[];
  readonly exhausted: readonly QueueEntry[];
}

const FINAL: ReadonlySet<EntryStatus> = new Set(['acked', 'dead-lettered', 'filtered']);

/** True when the entry's current delivery is over for good. */
export function isFinal(entry: QueueEntry): boolean {
  return FINAL.has(entry.status);
}

/** True when `handle` is the entry's current, unexpired receipt handle. */
export function holdsHandle(entry: QueueEntry, handle: string, now: number): boolean {
  return (
    entry.status === 'in-flight' &&
    entry.handle === handle &&
    (entry.leaseOwner !== undefined || now < entry.visibleAt)
  );
}

function isVisible(entry: QueueEntry, now: number): boolean {
  if (entry.status === 'ready') return now >= entry.visibleAt;
  return entry.status === 'in-flight' && entry.leaseOwner === undefined && now >= entry.visibleAt;
}

/**
 * The consumption progress of one consumer group on one topic: an entry per message of the
 * topic's log (materialised lazily, from the first message on) plus injected duplicates.
 */
export class GroupQueue {
  readonly group: string;
  readonly topic: string;
  /** The group's latest tag expression for the topic; messages it rejects are skipped at pop time. */
  filter: TagFilter = MATCH_ALL;
  readonly #entries: QueueEntry[] = [];
  #synced = 0;
  /** Entries before this index are final; pops start here. */
  #head = 0;

  constructor(group: string, topic: string) {
    this.group = group;
    this.topic = topic;
  }

  /** Materialises the log's messages stored since the last call. */
  sync(log: readonly StoredMessage[]): void {
    for (; this.#synced < log.length; this.#synced++) {
      const message = log[this.#synced];
      if (message === undefined) break;
      this.#entries.push({
        message,
        status: 'ready',
        attempts: 0,
        visibleAt: message.deliverAt ?? 0,
        handle: undefined,
        leaseOwner: undefined,
        duplicate: false,
      });
    }
  }

  /**
   * Delivers up to `max` visible entries in offset order. Entries the filter rejects become
   * `filtered`; entries whose next attempt would exceed `maxAttempts` become `dead-lettered`
   * instead of being delivered, as the proxy's pop filter does. In FIFO mode an entry is only
   * eligible when every earlier entry of its message group is final.
   */
  pop(options: PopOptions): PopOutcome {
    const delivered: QueueEntry[] = [];
    const exhausted: QueueEntry[] = [];
    const blockedGroups = new Set<string>();
    for (let index = this.#head; index < this.#entries.length && delivered.length < options.max; index++) {
      const entry = this.#entries[index];
      if (entry === undefined || isFinal(entry)) continue;
      const messageGroup = options.fifo ? entry.message.messageGroup : undefined;
      if (messageGroup !== undefined && blockedGroups.has(messageGroup)) continue;
      if (!isVisible(entry, options.now)) {
        if (messageGroup !== undefined) blockedGroups.add(messageGroup);
        continue;
      }
      if (!this.filter.matches(entry.message.tag)) {
        this.#settle(entry, 'filtered');
        continue;
      }
      if (entry.attempts + 1 > options.maxAttempts) {
        this.#settle(entry, 'dead-lettered');
        exhausted.push(entry);
        continue;
      }
      entry.status = 'in-flight';
      entry.attempts += 1;
      entry.visibleAt = options.now + options.invisibleMs;
      entry.leaseOwner = options.leaseOwner;
      entry.handle = options.issueHandle(entry);
      delivered.push(entry);
      if (messageGroup !== undefined) blockedGroups.add(messageGroup);
    }
    this.#advanceHead();
    return { delivered, exhausted };
  }

  /** Marks the entry final (acked, dead-lettered or filtered) and voids its handle. */
  settle(entry: QueueEntry, status: 'acked' | 'dead-lettered'): void {
    this.#settle(entry, status);
    this.#advanceHead();
  }

  /** Appends a redelivery of the entry's message, visible from `now`, with the next attempt number. */
  addDuplicate(entry: QueueEntry, now: number): void {
    this.#entries.push({
      message: entry.message,
      status: 'ready',
      attempts: entry.attempts,
      visibleAt: now,
      handle: undefined,
      leaseOwner: undefined,
      duplicate: true,
    });
  }

  /** Messages not yet acked, dead-lettered or skipped by the current filter. */
  pending(): number {
    let count = 0;
    for (let index = this.#head; index < this.#entries.length; index++) {
      const entry = this.#entries[index];
      if (entry !== undefined && !isFinal(entry) && this.filter.matches(entry.message.tag)) count++;
    }
    return count;
  }

  /** Ends every lease held by `owner` (all leases when undefined): visible again after `delayMs`. */
  releaseLeases(owner: string | undefined, now: number, delayMs: number): number {
    let released = 0;
    for (let index = this.#head; index < this.#entries.length; index++) {
      const entry = this.#entries[index];
      if (entry?.leaseOwner === undefined) continue;
      if (owner !== undefined && entry.leaseOwner !== owner) continue;
      entry.leaseOwner = undefined;
      entry.visibleAt = now + delayMs;
      released++;
    }
    return released;
  }

  /** The earliest future time at which an entry becomes visible without anyone acting, if any. */
  nextVisibleAt(now: number): number | undefined {
    let next: number | undefined;
    for (let index = this.#head; index < this.#entries.length; index++) {
      const entry = this.#entries[index];
      if (entry === undefined || isFinal(entry) || entry.leaseOwner !== undefined) continue;
      if (entry.visibleAt > now && (next === undefined || entry.visibleAt < next)) next = entry.visibleAt;
    }
    return next;
  }

  #settle(entry: QueueEntry, status: 'acked' | 'dead-lettered' | 'filtered'): void {
    entry.status = status;
    entry.handle = undefined;
    entry.leaseOwner = undefined;
  }

  #advanceHead(): void {
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head];
      if (entry !== undefined && !isFinal(entry)) break;
      this.#head++;
    }
  }
}
