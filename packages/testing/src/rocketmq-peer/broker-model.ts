import { randomBytes } from 'node:crypto';
import { DeadLetterBook } from './dead-letter-book.js';
import { GroupQueue, holdsHandle, type QueueEntry } from './group-queue.js';
import { PeerCounters } from './peer-counters.js';
import type { RocketMQPeerDeadLetter, RocketMQPeerDeadLetterReason } from './rocketmq-peer-types.js';
import { type NewMessage, type StoredMessage, TopicLogs } from './stored-message.js';
import { parseTagFilter } from './tag-filter.js';

/** Settings of {@link BrokerModel}. */
export interface BrokerModelOptions {
  readonly maxDeliveryAttempts: number;
  readonly fifoGroups: ReadonlySet<string>;
  readonly now?: () => number;
}

/** One message handed to a consumer by {@link BrokerModel.receive}. */
export interface Delivery {
  readonly message: StoredMessage;
  readonly receiptHandle: string;
  /** `delivery_attempt`, 1 on the first delivery. */
  readonly attempt: number;
  readonly invisibleMs: number;
  /** True for a redelivery injected by `duplicateDeliveries`. */
  readonly duplicate: boolean;
}

/** A receive as the model sees it, after the service layer validated the request. */
export interface ReceiveRequest {
  readonly group: string;
  readonly topic: string;
  readonly filterExpression: string;
  readonly max: number;
  readonly invisibleMs: number;
  /** Client id whose open session renews the deliveries (`auto_renew`), if any. */
  readonly leaseOwner?: string | undefined;
}

/** Result of an operation that takes a receipt handle. */
export type HandleOutcome = 'ok' | 'invalid-handle';

interface HandleRecord {
  readonly queue: GroupQueue;
  readonly entry: QueueEntry;
}

/** The dead-letter topic of a consumer group, named as RocketMQ names it. */
export function deadLetterTopic(group: string): string {
  return `%DLQ%${group}`;
}

/**
 * The broker's durable state, free of sockets and timers: topic logs, each consumer group's
 * progress, receipt handles, leases and dead letters. Every method is synchronous; listeners
 * registered with {@link BrokerModel.onChange} hear about every change that can make a message
 * deliverable or a group idle.
 */
export class BrokerModel {
  readonly counters = new PeerCounters();
  readonly #logs = new TopicLogs();
  readonly #queues = new Map<string, GroupQueue>();
  readonly #handles = new Map<string, HandleRecord>();
  readonly #deadLetters = new DeadLetterBook();
  readonly #listeners = new Set<() => void>();
  readonly #options: BrokerModelOptions;
  readonly #now: () => number;

  constructor(options: BrokerModelOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Calls `listener` after every change; returns the function that unregisters it. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  isFifo(group: string): boolean {
    return this.#options.fifoGroups.has(group);
  }

  /** Stores a message at the end of its topic's log. */
  publish(topic: string, message: NewMessage): StoredMessage {
    const stored = this.#logs.append(topic, message, this.#now());
    this.counters.countPublished(topic);
    this.#changed();
    return stored;
  }

  /** Records a group's subscription (tag expression) to a topic, as its Settings declare it. */
  subscribe(group: string, topic: string, filterExpression: string): void {
    const queue = this.#queue(group, topic);
    if (queue.filter.expression !== filterExpression) queue.filter = parseTagFilter(filterExpression);
  }

  /** Pops up to `max` deliverable messages for the group; exhausted ones go to the group's DLQ. */
  receive(request: ReceiveRequest): Delivery[] {
    this.subscribe(request.group, request.topic, request.filterExpression);
    const queue = this.#synced(request.group, request.topic);
    const now = this.#now();
    const { delivered, exhausted } = queue.pop({
      now,
      max: request.max,
      fifo: this.isFifo(request.group),
      maxAttempts: this.#options.maxDeliveryAttempts,
      invisibleMs: request.invisibleMs,
      leaseOwner: request.leaseOwner,
      issueHandle: (entry) => this.#issueHandle(queue, entry),
    });
    for (const entry of exhausted) this.#deadLetter(queue, entry, 'max-delivery-attempts', now);
    for (const entry of delivered) {
      this.counters.count(queue.group, 'deliveries');
      if (entry.attempts > 1) this.counters.count(queue.group, 'redeliveries');
    }
    if (delivered.length > 0 || exhausted.length > 0) this.#changed();
    return delivered.map((entry) => ({
      message: entry.message,
      receiptHandle: entry.handle ?? '',
      attempt: entry.attempts,
      invisibleMs: request.invisibleMs,
      duplicate: entry.duplicate,
    }));
  }

  /** Acks the delivery behind `receiptHandle`; a stale or expired handle is refused. */
  ack(group: string, topic: string, receiptHandle: string): HandleOutcome {
    const record = this.#current(group, topic, receiptHandle);
    if (record === undefined) return 'invalid-handle';
    this.#handles.delete(receiptHandle);
    record.queue.settle(record.entry, 'acked');
    this.counters.count(group, 'acks');
    this.#changed();
    return 'ok';
  }

  /**
   * Makes the delivery visible again after `durationMs` and replaces its handle: the old one is
   * refused from now on, and any lease ends. Returns the new handle, or undefined for a stale one.
   */
  changeInvisibleDuration(
    group: string,
    topic: string,
    receiptHandle: string,
    durationMs: number,
  ): string | undefined {
    const record = this.#current(group, topic, receiptHandle);
    if (record === undefined) return undefined;
    const { entry, queue } = record;
    entry.leaseOwner = undefined;
    entry.visibleAt = this.#now() + durationMs;
    const handle = this.#issueHandle(queue, entry);
    entry.handle = handle;
    this.counters.count(group, 'invisibilityChanges');
    this.#changed();
    return handle;
  }

  /** Dead-letters the delivery on the client's request (a FIFO PushConsumer out of local retries). */
  forwardToDeadLetter(group: string, topic: string, receiptHandle: string): HandleOutcome {
    const record = this.#current(group, topic, receiptHandle);
    if (record === undefined) return 'invalid-handle';
    this.#handles.delete(receiptHandle);
    this.#deadLetter(record.queue, record.entry, 'forwarded-by-client', this.#now());
    this.#changed();
    return 'ok';
  }

  /** Undoes a pop whose response never left (the call was cancelled first): visible again now. */
  returnUndelivered(receiptHandle: string): void {
    const record = this.#handles.get(receiptHandle);
    if (record === undefined || record.entry.handle !== receiptHandle) return;
    this.#handles.delete(receiptHandle);
    const { entry } = record;
    entry.status = 'ready';
    entry.attempts -= 1;
    entry.handle = undefined;
    entry.leaseOwner = undefined;
    entry.visibleAt = this.#now();
    this.#changed();
  }

  /** Schedules a redelivery of the delivery's message, visible at once (fault injection). */
  duplicate(receiptHandle: string): void {
    const record = this.#handles.get(receiptHandle);
    if (record === undefined) return;
    record.queue.addDuplicate(record.entry, this.#now());
    this.counters.count(record.queue.group, 'duplicatesInjected');
    this.#changed();
  }

  /** Ends the leases of `owner` (of everyone when undefined): those messages become visible after `delayMs`. */
  releaseLeases(owner: string | undefined, delayMs: number): void {
    const now = this.#now();
    let released = 0;
    for (const queue of this.#queues.values()) released += queue.releaseLeases(owner, now, delayMs);
    if (released > 0) this.#changed();
  }

  /** Messages of `topic` the group has not yet acked, dead-lettered or filtered out. */
  pending(group: string, topic: string): number {
    if (!this.#queues.has(queueKey(group, topic))) return this.#logs.read(topic).length;
    return this.#synced(group, topic).pending();
  }

  /** Topics the group subscribed to or received from. */
  topicsOf(group: string): string[] {
    return [...this.#queues.values()].filter((queue) => queue.group === group).map((queue) => queue.topic);
  }

  /** When the next message of the group's topic becomes visible by itself, if ever. */
  nextVisibleAt(group: string, topic: string): number | undefined {
    return this.#synced(group, topic).nextVisibleAt(this.#now());
  }

  messages(topic: string): StoredMessage[] {
    return [...this.#logs.read(topic)];
  }

  deadLetters(group: string): RocketMQPeerDeadLetter[] {
    return this.#deadLetters.list(group);
  }

  #deadLetter(queue: GroupQueue, entry: QueueEntry, reason: RocketMQPeerDeadLetterReason, now: number): void {
    queue.settle(entry, 'dead-lettered');
    const { offset: _offset, storedAt: _storedAt, topic: _topic, ...message } = entry.message;
    const copy = this.#logs.append(deadLetterTopic(queue.group), message, now);
    this.#deadLetters.add({
      copy,
      originalTopic: queue.topic,
      group: queue.group,
      attempts: entry.attempts,
      reason,
      at: now,
    });
    this.counters.count(queue.group, 'deadLettered');
  }

  #current(group: string, topic: string, receiptHandle: string): HandleRecord | undefined {
    const record = this.#handles.get(receiptHandle);
    const valid =
      record !== undefined &&
      record.queue.group === group &&
      record.queue.topic === topic &&
      holdsHandle(record.entry, receiptHandle, this.#now());
    if (!valid) {
      this.counters.count(group, 'invalidHandles');
      return undefined;
    }
    return record;
  }

  #issueHandle(queue: GroupQueue, entry: QueueEntry): string {
    if (entry.handle !== undefined) this.#handles.delete(entry.handle);
    const handle = randomBytes(18).toString('base64url');
    this.#handles.set(handle, { queue, entry });
    return handle;
  }

  #queue(group: string, topic: string): GroupQueue {
    const key = queueKey(group, topic);
    let queue = this.#queues.get(key);
    if (queue === undefined) {
      queue = new GroupQueue(group, topic);
      this.#queues.set(key, queue);
    }
    return queue;
  }

  #synced(group: string, topic: string): GroupQueue {
    const queue = this.#queue(group, topic);
    queue.sync(this.#logs.read(topic));
    return queue;
  }

  #changed(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

function queueKey(group: string, topic: string): string {
  return `${group}\u0000${topic}`;
}
