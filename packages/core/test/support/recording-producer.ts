import { IdemError } from '../../src/errors.js';
import type { MessageProducer, SendOutcome } from '../../src/outbox/message-producer.js';
import type { ProducerMessage } from '../../src/outbox/outbound-message.js';

/**
 * A fake transport for outbox tests: it confirms every message (recording it in `ledger`, which
 * several producers may share) except those to `rejectedTopics`, which it refuses for good.
 * Postgres stays real; only the broker is replaced, because the relay is the subject.
 */
export class RecordingProducer implements MessageProducer {
  readonly description = 'recording producer';
  /** Messages this producer confirmed, in the order it was given them. */
  readonly confirmed: ProducerMessage[] = [];
  readonly rejectedTopics = new Set<string>();
  started = false;
  stopped = false;
  /** Runs inside `send`, before the outcomes are returned. */
  onSend: ((messages: readonly ProducerMessage[]) => Promise<void>) | undefined;

  constructor(readonly ledger: ProducerMessage[] = []) {}

  async start(): Promise<void> {
    this.started = true;
  }

  async send(messages: readonly ProducerMessage[]): Promise<SendOutcome[]> {
    // Yield like a network call does, so relays running side by side interleave.
    await new Promise((resolve) => setImmediate(resolve));
    await this.onSend?.(messages);
    return messages.map((message): SendOutcome => {
      if (this.rejectedTopics.has(message.topic)) {
        return {
          status: 'failed',
          error: new IdemError('MESSAGE_REJECTED', `topic ${message.topic} does not exist`, {
            retryable: false,
          }),
        };
      }
      this.confirmed.push(message);
      this.ledger.push(message);
      return { status: 'sent', messageId: `mid-${message.id}` };
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }
}
