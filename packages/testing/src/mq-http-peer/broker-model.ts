import { createHash, randomBytes } from 'node:crypto';
import { GroupQueue, type QueueEntry, type StoredMessage } from './group-queue.js';
import { SHARDING_KEY_PROPERTY, START_DELIVER_TIME_PROPERTY } from './message-properties.js';
import type { PeerCounters } from './peer-stats.js';

/** Settings of a {@link BrokerModel}. */
export interface BrokerModelOptions {
  readonly invisibleTimeMs: number;
  readonly orderedInvisibleTimeMs: number;
  readonly counters: PeerCounters;
  /** Uniform in [0, 1): decides duplicate injection. */
  readonly random: () => number;
}

/** A message to store. */
export interface PublishInput {
  readonly namespace: string;
  readonly topic: string;
  readonly body: string;
  readonly tag: string | undefined;
  readonly properties: ReadonlyMap<string, string>;
}

/** A consume request, answered at once (long polling is the caller's loop). */
export interface ConsumeInput {
  readonly namespace: string;
  readonly topic: string;
  readonly group: string;
  readonly max: number;
  readonly ordered: boolean;
  /** Tags to select; undefined selects every message. */
  readonly tags: ReadonlySet<string> | undefined;
}

/** One delivery of a message to a consumer group. */
export interface Delivery {
  readonly message: StoredMessage;
  readonly receiptHandle: string;
  readonly consumedTimes: number;
  readonly firstConsumeTime: number;
  /** Absolute ms: the message is visible again then, and the handle stops working. */
  readonly nextConsumeTime: number;
}

/** Which queues a question is about; an absent field matches all. */
export interface QueueFilter {
  readonly group: string;
  readonly topic?: string | undefined;
  readonly namespace?: string | undefined;
}

/**
 * The broker state of the peer: one log per (instance, topic), one queue per consumer group,
 * invisible time and redelivery, single-use receipt handles valid until NextConsumeTime.
 * Pure state, no I/O: the HTTP layer calls it.
 */
export class BrokerModel {
  /** Chance in [0, 1] that a first delivery is followed by a duplicate copy. */
  duplicateRate = 0;
  private readonly logs = new Map<string, StoredMessage[]>();
  private readonly queues = new Map<string, GroupQueue>();
  private readonly handles = new Map<string, { readonly queue: GroupQueue; readonly entry: QueueEntry }>();
  private readonly listeners = new Set<() => void>();
  private handleSequence = 0;

  constructor(private readonly options: BrokerModelOptions) {}

  /** Stores a message for every group of its topic and wakes up waiting long polls. */
  publish(input: PublishInput): StoredMessage {
    const now = Date.now();
    const startDeliverTime = Number(input.properties.get(START_DELIVER_TIME_PROPERTY));
    const message: StoredMessage = {
      id: randomBytes(16).toString('hex').toUpperCase(),
      namespace: input.namespace,
      topic: input.topic,
      body: input.body,
      bodyMd5: createHash('md5').update(input.body, 'utf8').digest('hex').toUpperCase(),
      tag: input.tag,
      properties: new Map(input.properties),
      shardingKey: input.properties.get(SHARDING_KEY_PROPERTY),
      publishTime: now,
      deliverAt: Number.isFinite(startDeliverTime) && startDeliverTime > now ? startDeliverTime : now,
    };
    const key = logKey(input.namespace, input.topic);
    const log = this.logs.get(key) ?? [];
    log.push(message);
    this.logs.set(key, log);
    this.options.counters.published += 1;
    this.changed();
    return message;
  }

  /** Delivers what is visible now for the group, marking it invisible with a fresh handle. */
  consume(input: ConsumeInput): Delivery[] {
    const now = Date.now();
    const queue = this.queue(input.namespace, input.topic, input.group);
    const { tags } = input;
    const selected = queue.select({
      max: input.max,
      now,
      ordered: input.ordered,
      matches: (tag) => tags === undefined || (tag !== undefined && tags.has(tag)),
    });
    const invisibleMs = input.ordered ? this.options.orderedInvisibleTimeMs : this.options.invisibleTimeMs;
    const counters = this.options.counters;
    const duplicated: QueueEntry[] = [];
    const deliveries = selected.map((entry): Delivery => {
      if (entry.handle !== undefined) this.handles.delete(entry.handle);
      this.handleSequence += 1;
      const receiptHandle = `${randomBytes(12).toString('hex').toUpperCase()}-${this.handleSequence.toString(36)}`;
      entry.handle = receiptHandle;
      entry.consumedTimes += 1;
      entry.firstConsumeTime ??= now;
      entry.visibleAt = now + invisibleMs;
      this.handles.set(receiptHandle, { queue, entry });
      counters.deliveries += 1;
      if (entry.consumedTimes > 1) counters.redeliveries += 1;
      if (!entry.duplicate && entry.consumedTimes === 1 && this.options.random() < this.duplicateRate) {
        duplicated.push(entry);
      }
      return {
        message: entry.message,
        receiptHandle,
        consumedTimes: entry.consumedTimes,
        firstConsumeTime: entry.firstConsumeTime,
        nextConsumeTime: entry.visibleAt,
      };
    });
    // Added after selection so a duplicate never shares a consume answer with its original.
    for (const entry of duplicated) queue.addDuplicate(entry, now);
    counters.duplicates += duplicated.length;
    if (duplicated.length > 0) this.changed();
    return deliveries;
  }

  /** When the group's next invisible message becomes visible, if any does. */
  nextVisibleAt(namespace: string, topic: string, group: string): number | undefined {
    return this.queue(namespace, topic, group).nextVisibleAt(Date.now());
  }

  /**
   * Acks receipt handles for a group and returns those it could not: unknown, already used,
   * issued to another group or topic, or past their NextConsumeTime.
   */
  ack(namespace: string, topic: string, group: string, handles: readonly string[]): string[] {
    const now = Date.now();
    const queue = this.queue(namespace, topic, group);
    const invalid: string[] = [];
    for (const handle of handles) {
      const found = this.handles.get(handle);
      const valid =
        found !== undefined &&
        found.queue === queue &&
        found.entry.handle === handle &&
        now < found.entry.visibleAt;
      if (valid && queue.remove(found.entry)) {
        this.handles.delete(handle);
        this.options.counters.acks += 1;
      } else {
        invalid.push(handle);
        this.options.counters.rejectedAcks += 1;
      }
    }
    // An ack can unblock an ordered partition.
    if (invalid.length < handles.length) this.changed();
    return invalid;
  }

  /** Unacked messages (waiting, delayed or in flight) of the group on the matching topics. */
  pending(filter: QueueFilter): number {
    let count = 0;
    for (const log of this.logs.values()) {
      const first = log[0];
      if (first === undefined) continue;
      if (filter.topic !== undefined && first.topic !== filter.topic) continue;
      if (filter.namespace !== undefined && first.namespace !== filter.namespace) continue;
      count += this.queue(first.namespace, first.topic, filter.group).entries.length;
    }
    return count;
  }

  /** Calls `listener` after every change that may make a message deliverable or ackable. */
  /** The messages stored for `topic` in instance `namespace`, oldest first. */
  messages(namespace: string, topic: string): readonly StoredMessage[] {
    return [...(this.logs.get(logKey(namespace, topic)) ?? [])];
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private queue(namespace: string, topic: string, group: string): GroupQueue {
    const key = `${logKey(namespace, topic)}\u0000${group}`;
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = new GroupQueue(namespace, topic, group);
      this.queues.set(key, queue);
    }
    queue.sync(this.logs.get(logKey(namespace, topic)) ?? []);
    return queue;
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

function logKey(namespace: string, topic: string): string {
  return `${namespace}\u0000${topic}`;
}
