import type { RocketMQPeerDeadLetter, RocketMQPeerDeadLetterReason } from './rocketmq-peer-types.js';
import { type StoredMessage, toPeerMessage } from './stored-message.js';

/** One dead-lettering: the copy stored in `%DLQ%<group>` and where it came from. */
export interface DeadLetterRecord {
  readonly copy: StoredMessage;
  readonly originalTopic: string;
  readonly group: string;
  readonly attempts: number;
  readonly reason: RocketMQPeerDeadLetterReason;
  readonly at: number;
}

/** The dead letters of every consumer group, oldest first. */
export class DeadLetterBook {
  readonly #byGroup = new Map<string, DeadLetterRecord[]>();

  add(record: DeadLetterRecord): void {
    const records = this.#byGroup.get(record.group);
    if (records === undefined) this.#byGroup.set(record.group, [record]);
    else records.push(record);
  }

  list(group: string): RocketMQPeerDeadLetter[] {
    return (this.#byGroup.get(group) ?? []).map((record) => ({
      ...toPeerMessage(record.copy),
      originalTopic: record.originalTopic,
      consumerGroup: record.group,
      deliveryAttempts: record.attempts,
      reason: record.reason,
      deadLetteredAt: new Date(record.at),
    }));
  }
}
