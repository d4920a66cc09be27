import { startMqHttpPeer } from '@idem/testing';
import { describe, expect, it } from 'vitest';
import { LogRecorder } from '../../../test-support/log-recorder.js';
import { producerMessages } from '../../../test-support/producer-messages.js';
import { createHttpProducer } from '../src/index.js';

const OUTAGES = [
  { mode: 'refuse' },
  { mode: 'reset' },
  { mode: '503', body: 'html' },
  { mode: '503', body: 'xml' },
  { mode: 'hang' },
] as const;

/** Sends 10 messages into a 60 s outage of one kind; what was reported sent against what the peer stored. */
async function sendThroughOutage(outage: (typeof OUTAGES)[number]) {
  const peer = await startMqHttpPeer();
  const logger = new LogRecorder();
  const producer = createHttpProducer({
    endpoint: peer.endpoint,
    accessKeyId: peer.accessKeyId,
    accessKeySecret: peer.accessKeySecret,
    logger,
  });
  try {
    await producer.start();
    const running = peer.outage({ ms: 60_000, ...outage });
    await running.started;
    const messages = producerMessages('orders', 10, `${outage.mode}-${'body' in outage ? outage.body : ''}`);
    const outcomes = await producer.send(messages);
    await running.ended;
    // The recovery line comes once successes have held for a moment.
    await expect.poll(() => logger.visible().length, { timeout: 10_000 }).toBe(2);
    return { outage, outcomes, messages, stored: peer.messages('orders'), lines: logger.visible() };
  } finally {
    await producer.stop();
    await peer.stop();
  }
}

describe('createHttpProducer through a 60 s outage', () => {
  it('sends every message once the service is back, for each kind of outage, and logs it once', async () => {
    // Side by side: five one-minute outages in about one minute of wall time.
    const results = await Promise.all(OUTAGES.map(sendThroughOutage));
    for (const { outage, outcomes, messages, stored, lines } of results) {
      const label = JSON.stringify(outage);
      const ids = outcomes.map((outcome) =>
        outcome.status === 'sent' ? outcome.messageId : outcome.error.message,
      );
      const storedIds = new Set(stored.map((message) => message.messageId));
      // None reported sent that the peer did not store; every message stored at least once.
      expect(
        ids.filter((id) => !storedIds.has(id)),
        label,
      ).toEqual([]);
      for (const message of messages) {
        expect(
          stored.some((candidate) => candidate.properties.KEYS === message.keys[0]),
          label,
        ).toBe(true);
      }
      expect(
        lines.map((line) => line.level),
        label,
      ).toEqual(['warn', 'info']);
    }
  }, 150_000);
});
