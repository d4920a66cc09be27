import type { OutgoingMessage } from '../support/real-producer.js';

/** The messages of a chaos run, in sending order, and which of them are re-sends. */
export interface ChaosWorkload {
  readonly messages: readonly OutgoingMessage[];
  /** Indexes into `messages` of the second sends of a key. */
  readonly resendIndexes: ReadonlySet<number>;
  readonly orders: number;
}

/**
 * `orders` orders with keys `order-<n>`, and for a `resendRatio` share of them a re-send of the
 * same key a few hundred sends later: what a producer that retried after a lost answer does.
 */
export function chaosWorkload(topic: string, orders: number, resendRatio: number): ChaosWorkload {
  const every = resendRatio > 0 ? Math.max(1, Math.round(1 / resendRatio)) : 0;
  const weighted: { weight: number; message: OutgoingMessage; resend: boolean }[] = [];
  for (let index = 0; index < orders; index += 1) {
    const message = { topic, body: `order ${index}`, keys: [`order-${index}`] };
    weighted.push({ weight: index, message, resend: false });
    if (every > 0 && index % every === 7 % every) {
      weighted.push({ weight: index + 300.5, message, resend: true });
    }
  }
  weighted.sort((a, b) => a.weight - b.weight);
  const resendIndexes = new Set<number>();
  weighted.forEach((entry, index) => {
    if (entry.resend) resendIndexes.add(index);
  });
  return { messages: weighted.map(({ message }) => message), resendIndexes, orders };
}
