import { createRequire } from 'node:module';
import { type MqHttpPeer, type MqHttpPeerOptions, startMqHttpPeer } from '@idem/testing';
import { afterEach, describe, expect, it } from 'vitest';

// The real SDK, untyped CommonJS: described as far as these tests use it.
interface SdkResponse<T> {
  readonly code: number;
  readonly body: T;
}
interface SdkMessage {
  readonly MessageId: string;
  readonly ReceiptHandle: string;
  readonly MessageBody: string;
  readonly ConsumedTimes: string;
}
interface SdkProducer {
  publishMessage(
    body: string,
    tag?: string,
  ): Promise<SdkResponse<{ readonly MessageId: string } | undefined>>;
}
interface SdkConsumer {
  consumeMessage(count: number, waitSeconds?: number): Promise<SdkResponse<SdkMessage[]>>;
  ackMessage(handles: string[]): Promise<SdkResponse<readonly { readonly ErrorCode: string }[] | undefined>>;
}
interface SdkClient {
  getProducer(instanceId: string, topic: string): SdkProducer;
  getConsumer(instanceId: string, topic: string, group: string): SdkConsumer;
}
const { MQClient } = createRequire(import.meta.url)('@aliyunmq/mq-http-sdk') as {
  readonly MQClient: new (endpoint: string, accessKeyId: string, accessKeySecret: string) => SdkClient;
};

/** What the SDK throws: `.Code` for service errors, `.code` and `.name` for transport errors. */
type SdkError = Error & { readonly Code?: string; readonly code?: string };

async function rejectionOf(promise: Promise<unknown>): Promise<SdkError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error) return error;
    throw new Error(`a non-error was thrown: ${String(error)}`);
  }
  throw new Error('expected the SDK call to fail, it succeeded');
}

let peer: MqHttpPeer | undefined;
afterEach(async () => {
  await peer?.stop();
  peer = undefined;
});

interface Setup {
  readonly peer: MqHttpPeer;
  readonly producer: SdkProducer;
  readonly consumer: SdkConsumer;
}

async function start(options: MqHttpPeerOptions = {}): Promise<Setup> {
  peer = await startMqHttpPeer(options);
  const client = new MQClient(peer.endpoint, peer.accessKeyId, peer.accessKeySecret);
  return {
    peer,
    producer: client.getProducer('', 'orders'),
    consumer: client.getConsumer('', 'orders', 'GID_a'),
  };
}

/** Publishes, consumes and acks one message: the peer serves normally. */
async function roundTrip({ producer, consumer }: Setup, body: string): Promise<void> {
  expect((await producer.publishMessage(body)).code).toBe(201);
  const { body: messages } = await consumer.consumeMessage(16, 1);
  expect(messages.map((message) => message.MessageBody)).toContain(body);
  expect((await consumer.ackMessage(messages.map((message) => message.ReceiptHandle))).code).toBe(204);
}

describe('MQ HTTP peer outages, as the real SDK sees them', () => {
  it('refuse: connections are refused, then the same port serves again', async () => {
    const setup = await start();
    const { peer, producer, consumer } = setup;
    await roundTrip(setup, 'before'); // leaves a keep-alive connection that the outage must drop
    const outage = peer.outage({ ms: 60_000, mode: 'refuse' });
    await outage.started;
    expect(peer.outageActive).toBe(true);
    expect(await rejectionOf(producer.publishMessage('during'))).toMatchObject({ code: 'ECONNREFUSED' });
    expect(await rejectionOf(consumer.consumeMessage(1, 1))).toMatchObject({ code: 'ECONNREFUSED' });
    await outage.end();
    expect(peer.outageActive).toBe(false);
    await roundTrip(setup, 'after');
    expect(peer.stats().outages).toBe(1);
  });

  it('reset: requests get ECONNRESET, a long poll in progress too, then it serves again', async () => {
    const setup = await start();
    const { peer, producer, consumer } = setup;
    await roundTrip(setup, 'before');
    const polling = rejectionOf(consumer.consumeMessage(16, 30));
    await peer.waitUntil(() => peer.stats().requests === 4);
    const outage = peer.outage({ ms: 60_000, mode: 'reset' });
    expect(await polling).toMatchObject({ code: 'ECONNRESET' });
    await outage.started;
    expect(await rejectionOf(producer.publishMessage('during'))).toMatchObject({ code: 'ECONNRESET' });
    expect(await rejectionOf(consumer.ackMessage(['h']))).toMatchObject({ code: 'ECONNRESET' });
    await outage.end();
    await roundTrip(setup, 'after');
    expect(peer.stats().failedRequests.reset).toBeGreaterThanOrEqual(3);
    expect(peer.stats().published).toBe(2);
  });

  it('503 with an HTML body: publish and ack resolve { code: 503 }, consume throws a TypeError', async () => {
    const setup = await start();
    const { peer, producer, consumer } = setup;
    const polling = rejectionOf(consumer.consumeMessage(16, 30));
    await peer.waitUntil(() => peer.stats().requests === 1);
    const outage = peer.outage({ ms: 60_000, mode: '503' });
    // The long poll in progress is answered 503 as well.
    expect(await polling).toBeInstanceOf(TypeError);
    expect(await producer.publishMessage('during')).toMatchObject({ code: 503, body: undefined });
    expect(await consumer.ackMessage(['h'])).toMatchObject({ code: 503, body: undefined });
    expect(await rejectionOf(consumer.consumeMessage(1, 1))).toBeInstanceOf(TypeError);
    await outage.end();
    await roundTrip(setup, 'after');
    expect(peer.stats()).toMatchObject({ published: 1, failedRequests: { '503': 4 } });
  });

  it('503 with an XML body: the SDK throws ServiceUnavailable', async () => {
    const setup = await start();
    const outage = setup.peer.outage({ ms: 60_000, mode: '503', body: 'xml' });
    const error = await rejectionOf(setup.producer.publishMessage('during'));
    expect(error).toMatchObject({ Code: 'ServiceUnavailable' });
    expect(error.message).toContain('failed with 503');
    await outage.end();
    await roundTrip(setup, 'after');
  });

  it('hang: publish times out after the SDK’s 3 s, then the peer serves again', async () => {
    const setup = await start();
    const { peer, producer } = setup;
    await roundTrip(setup, 'before');
    const outage = peer.outage({ ms: 60_000, mode: 'hang' });
    const error = await rejectionOf(producer.publishMessage('during'));
    expect(error.name).toBe('RequestTimeoutError');
    expect(peer.stats()).toMatchObject({ published: 1, failedRequests: { hang: 1 } });
    await outage.end();
    await roundTrip(setup, 'after');
  });

  it('hang: a request held when the outage ends gets its connection dropped', async () => {
    const setup = await start();
    const { peer, consumer } = setup;
    const outage = peer.outage({ ms: 300, mode: 'hang' });
    const error = await rejectionOf(consumer.consumeMessage(1, 1));
    expect(error.code).toBe('ECONNRESET');
    await outage.ended;
    await roundTrip(setup, 'after');
  });

  it('runs one outage at a time', async () => {
    const { peer } = await start();
    const outage = peer.outage({ ms: 60_000, mode: '503' });
    expect(() => peer.outage({ ms: 10, mode: 'reset' })).toThrow(
      expect.objectContaining({ code: 'OUTAGE_IN_PROGRESS' }),
    );
    await outage.end();
  });

  it('stop() ends an outage in progress and releases the port', async () => {
    const { peer } = await start();
    const outage = peer.outage({ ms: 60_000, mode: 'refuse' });
    await peer.stop();
    await outage.ended;
  });

  it('stop() drops every connection and clears every timer, so the process can exit', async () => {
    const handles = (): Record<string, number> => {
      const counts: Record<string, number> = { TCPServerWrap: 0, TCPSocketWrap: 0, Timeout: 0 };
      for (const resource of process.getActiveResourcesInfo()) {
        if (resource in counts) counts[resource] = (counts[resource] ?? 0) + 1;
      }
      return counts;
    };
    const before = handles();
    const setup = await start();
    const { peer, consumer } = setup;
    await roundTrip(setup, 'traffic');
    const polling = rejectionOf(consumer.consumeMessage(16, 30));
    const idle = peer.idle('GID_b', 'orders', { timeoutMs: 60_000 });
    idle.catch(() => {});
    await peer.waitUntil(() => peer.stats().requests === 4);
    peer.outage({ ms: 60_000, mode: 'hang' });
    await peer.stop();
    expect(await polling).toMatchObject({ code: 'ECONNRESET' });
    await expect(idle).rejects.toMatchObject({ code: 'STOPPED' });
    // The client closes its side of each dropped connection in its own time.
    for (let attempt = 0; attempt < 200 && handles().TCPSocketWrap !== before.TCPSocketWrap; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const after = handles();
    expect(after.TCPServerWrap).toBe(before.TCPServerWrap);
    expect(after.TCPSocketWrap).toBe(before.TCPSocketWrap);
    expect(after.Timeout).toBeLessThanOrEqual(before.Timeout ?? 0);
  });
});

describe('MQ HTTP peer message faults', () => {
  it('duplicateDeliveries: a second copy with the same MessageId needs its own ack', async () => {
    const setup = await start();
    const { peer, producer, consumer } = setup;
    peer.duplicateDeliveries(1);
    const { body: published } = await producer.publishMessage('twice');
    const first = await consumer.consumeMessage(16, 1);
    const second = await consumer.consumeMessage(16, 1);
    expect(
      [...first.body, ...second.body].map((message) => [message.MessageId, message.ConsumedTimes]),
    ).toEqual([
      [published?.MessageId, '1'],
      [published?.MessageId, '1'],
    ]);
    expect(first.body[0]?.ReceiptHandle).not.toBe(second.body[0]?.ReceiptHandle);
    expect(peer.pending('GID_a', 'orders')).toBe(2);
    await consumer.ackMessage([...first.body, ...second.body].map((message) => message.ReceiptHandle));
    await peer.idle('GID_a', 'orders');
    peer.duplicateDeliveries(0);
    await roundTrip(setup, 'once');
    expect(peer.stats()).toMatchObject({ duplicates: 1, deliveries: 3, acks: 3 });
  });

  it('loseAcks: the client gets ECONNRESET while the ack was applied', async () => {
    const { peer, producer, consumer } = await start();
    peer.loseAcks(1, { effect: 'always' });
    await producer.publishMessage('acked in the dark');
    const [message] = (await consumer.consumeMessage(1, 1)).body;
    const handle = message?.ReceiptHandle ?? '';
    expect(await rejectionOf(consumer.ackMessage([handle]))).toMatchObject({ code: 'ECONNRESET' });
    expect(peer.pending('GID_a', 'orders')).toBe(0);
    peer.loseAcks(0);
    // The client's retry finds the handle used.
    expect((await consumer.ackMessage([handle])).body).toEqual([
      expect.objectContaining({ ErrorCode: 'ReceiptHandleError' }),
    ]);
    expect(peer.stats()).toMatchObject({ lostAcks: 1, lostAcksApplied: 1, acks: 1, rejectedAcks: 1 });
  });

  it('loseAcks: a lost ack that was not applied brings the message back', async () => {
    const { peer, producer, consumer } = await start({ invisibleTimeMs: 300 });
    peer.loseAcks(1, { effect: 'never' });
    await producer.publishMessage('comes back');
    const [message] = (await consumer.consumeMessage(1, 1)).body;
    expect(await rejectionOf(consumer.ackMessage([message?.ReceiptHandle ?? '']))).toMatchObject({
      code: 'ECONNRESET',
    });
    const [again] = (await consumer.consumeMessage(1, 5)).body;
    expect(again).toMatchObject({ MessageId: message?.MessageId, ConsumedTimes: '2' });
    expect(peer.stats()).toMatchObject({ lostAcks: 1, lostAcksApplied: 0, redeliveries: 1 });
  });

  it('slow: a publish answered after the SDK’s 3 s times out although the message was stored', async () => {
    const { peer, producer, consumer } = await start();
    peer.slow(3500);
    expect((await rejectionOf(producer.publishMessage('stored anyway'))).name).toBe('RequestTimeoutError');
    peer.slow(0);
    expect(peer.stats().published).toBe(1);
    const { body } = await consumer.consumeMessage(16, 1);
    expect(body.map((message) => message.MessageBody)).toEqual(['stored anyway']);
  });
});
