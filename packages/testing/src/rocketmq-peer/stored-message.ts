import { randomBytes } from 'node:crypto';
import type { RocketMQPeerMessage } from './rocketmq-peer-types.js';

/** The message types of the protocol (`apache.rocketmq.v2.MessageType`). */
export type StoredMessageType = 'normal' | 'fifo' | 'delay' | 'transaction';

/** A message in a topic's log, immutable once stored. */
export interface StoredMessage {
  readonly topic: string;
  readonly offset: number;
  readonly messageId: string;
  readonly body: Buffer;
  readonly tag: string | undefined;
  readonly keys: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
  readonly messageGroup: string | undefined;
  readonly messageType: StoredMessageType;
  readonly bornAt: number;
  readonly bornHost: string;
  readonly storedAt: number;
  /** Epoch ms before which a delay message is not delivered. */
  readonly deliverAt: number | undefined;
}

/** What a producer (or the test) hands in; the log adds topic offset and store time. */
export type NewMessage = Omit<StoredMessage, 'offset' | 'storedAt' | 'topic'>;

/** A new message id in the client's shape: 34 upper-case hex digits starting with version `01`. */
export function newMessageId(): string {
  return `01${randomBytes(16).toString('hex').toUpperCase()}`;
}

/** Append-only logs, one per topic, each standing for the topic's single queue (id 0). */
export class TopicLogs {
  readonly #logs = new Map<string, StoredMessage[]>();

  append(topic: string, message: NewMessage, now: number): StoredMessage {
    const log = this.log(topic);
    const stored: StoredMessage = { ...message, topic, offset: log.length, storedAt: now };
    log.push(stored);
    return stored;
  }

  /** The topic's messages, oldest first; an unknown topic is empty. */
  read(topic: string): readonly StoredMessage[] {
    return this.#logs.get(topic) ?? [];
  }

  topics(): string[] {
    return [...this.#logs.keys()];
  }

  private log(topic: string): StoredMessage[] {
    let log = this.#logs.get(topic);
    if (log === undefined) {
      log = [];
      this.#logs.set(topic, log);
    }
    return log;
  }
}

/** The public, read-only view of a stored message. */
export function toPeerMessage(message: StoredMessage): RocketMQPeerMessage {
  return {
    messageId: message.messageId,
    topic: message.topic,
    offset: message.offset,
    body: Buffer.from(message.body),
    tag: message.tag,
    keys: [...message.keys],
    properties: { ...message.properties },
    messageGroup: message.messageGroup,
    bornAt: new Date(message.bornAt),
    storedAt: new Date(message.storedAt),
    deliverAt: message.deliverAt === undefined ? undefined : new Date(message.deliverAt),
  };
}
