/** A message as the peer stores it once, for every consumer group of its topic. */
export interface StoredMessage {
  readonly id: string;
  /** The instance id (`ns`); '' when the SDK sent none. */
  readonly namespace: string;
  readonly topic: string;
  readonly body: string;
  /** Uppercase hex MD5 of the UTF-8 body. */
  readonly bodyMd5: string;
  readonly tag: string | undefined;
  /** Every property as sent, KEYS and __SHARDINGKEY included. */
  readonly properties: ReadonlyMap<string, string>;
  readonly shardingKey: string | undefined;
  readonly publishTime: number;
  /** When the message may first be delivered: the publish time, or __STARTDELIVERTIME. */
  readonly deliverAt: number;
}

/** One consumer group's copy of a message, with its delivery state. */
export interface QueueEntry {
  readonly message: StoredMessage;
  /** True for a copy added by duplicate-delivery injection. */
  readonly duplicate: boolean;
  consumedTimes: number;
  firstConsumeTime: number | undefined;
  /** Until then the entry is invisible: delayed, or delivered and waiting for its ack. */
  visibleAt: number;
  /** The only handle that can ack this entry now; a new one is issued at each delivery. */
  handle: string | undefined;
}

/** How {@link GroupQueue.select} picks entries. */
export interface SelectOptions {
  readonly max: number;
  readonly now: number;
  /** Ordered consumption: per sharding key, nothing while an earlier message is unacked. */
  readonly ordered: boolean;
  /** The tag filter of the request; a message it does not select is dropped for this group. */
  readonly matches: (tag: string | undefined) => boolean;
}

/**
 * The unacked messages of one consumer group on one topic, in publish order. Each group has its
 * own queue, so each group gets every message of the topic, independently of the others.
 */
export class GroupQueue {
  readonly entries: QueueEntry[] = [];
  /** How many messages of the topic's log this queue has taken in. */
  private synced = 0;

  constructor(
    readonly namespace: string,
    readonly topic: string,
    readonly group: string,
  ) {}

  /** Takes in the messages of the topic log published since the last call. */
  sync(log: readonly StoredMessage[]): void {
    for (const message of log.slice(this.synced)) {
      this.entries.push(newEntry(message, false, message.deliverAt));
    }
    this.synced = log.length;
  }

  /**
   * Picks up to `max` visible entries. Entries the tag filter rejects are removed, as a broker
   * filters a group's subscription: RocketMQ expects every consumer of a group to subscribe
   * alike. In ordered mode, a sharding key (messages without one share the key '') is skipped
   * while any of its entries is delivered and unacked, and entries of one key are taken in
   * order, stopping at the first invisible one.
   */
  select(options: SelectOptions): QueueEntry[] {
    const blocked = new Set<string>();
    if (options.ordered) {
      for (const entry of this.entries) {
        if (entry.consumedTimes > 0 && entry.visibleAt > options.now) blocked.add(partitionOf(entry));
      }
    }
    const selected: QueueEntry[] = [];
    for (let index = 0; index < this.entries.length && selected.length < options.max; index += 1) {
      const entry = this.entries[index];
      if (entry === undefined) break;
      const partition = partitionOf(entry);
      if (options.ordered && blocked.has(partition)) continue;
      if (entry.visibleAt > options.now) {
        if (options.ordered) blocked.add(partition);
        continue;
      }
      if (!options.matches(entry.message.tag)) {
        this.entries.splice(index, 1);
        index -= 1;
        continue;
      }
      selected.push(entry);
    }
    return selected;
  }

  /** Adds a duplicate of `original` right behind it, visible at once. */
  addDuplicate(original: QueueEntry, now: number): void {
    const copy = newEntry(original.message, true, now);
    const index = this.entries.indexOf(original);
    this.entries.splice(index < 0 ? this.entries.length : index + 1, 0, copy);
  }

  /** Removes an acked entry; false when it is no longer here. */
  remove(entry: QueueEntry): boolean {
    const index = this.entries.indexOf(entry);
    if (index < 0) return false;
    this.entries.splice(index, 1);
    return true;
  }

  /** The earliest future moment an entry becomes visible, for long polls to wake up at. */
  nextVisibleAt(now: number): number | undefined {
    let next: number | undefined;
    for (const entry of this.entries) {
      if (entry.visibleAt > now && (next === undefined || entry.visibleAt < next)) next = entry.visibleAt;
    }
    return next;
  }
}

function newEntry(message: StoredMessage, duplicate: boolean, visibleAt: number): QueueEntry {
  return { message, duplicate, consumedTimes: 0, firstConsumeTime: undefined, visibleAt, handle: undefined };
}

function partitionOf(entry: QueueEntry): string {
  return entry.message.shardingKey ?? '';
}
