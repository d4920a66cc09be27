import type { ProducerMessage, SendOutcome } from '@idem/core';

/** `count` outbox-like messages to `topic`, each with its own key `<prefix>-<n>` and body. */
export function producerMessages(
  topic: string,
  count: number,
  prefix = 'm',
  extra: Partial<ProducerMessage> = {},
): ProducerMessage[] {
  return Array.from({ length: count }, (_, n) => ({
    id: `${prefix}-${n}`,
    topic,
    tag: 'created',
    keys: [`${prefix}-${n}`],
    body: Buffer.from(JSON.stringify({ n, prefix })),
    properties: {},
    messageGroup: undefined,
    deliverAt: undefined,
    ...extra,
  }));
}

/** One message like those of {@link producerMessages}, keyed `<prefix>-<n>`. */
export function producerMessage(
  topic: string,
  prefix: string,
  n: number,
  extra: Partial<ProducerMessage> = {},
): ProducerMessage {
  return { ...(producerMessages(topic, n + 1, prefix)[n] as ProducerMessage), ...extra };
}

/** The broker's message ids of `outcomes`; throws, naming the error, if one was not sent. */
export function sentIds(outcomes: readonly SendOutcome[]): string[] {
  return outcomes.map((outcome) => {
    if (outcome.status !== 'sent')
      throw new Error(`not sent: ${outcome.error.code} ${outcome.error.message}`);
    return outcome.messageId;
  });
}
