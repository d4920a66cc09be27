import { createRequire } from 'node:module';
import { type MqHttpPeer, startMqHttpPeer } from '@idem/testing';
import { afterEach, describe, expect, it } from 'vitest';

// The real SDK, untyped CommonJS: described here as far as the tests use it.
interface SdkResponse<T> {
  readonly code: number;
  readonly requestId: string;
  readonly body: T;
}
interface SdkMessage {
  readonly MessageId: string;
  readonly ReceiptHandle: string;
  readonly MessageBodyMD5: string;
  readonly MessageBody: string;
  readonly PublishTime: string;
  readonly NextConsumeTime: string;
  readonly FirstConsumeTime: string;
  readonly ConsumedTimes: string;
  readonly MessageTag?: string;
  readonly MessageKey?: string;
  readonly ShardingKey?: string;
  readonly Properties: Readonly<Record<string, string>>;
}
interface SdkAckError {
  readonly ErrorCode: string;
  readonly ErrorMessage: string;
  readonly ReceiptHandle: string;
}
interface SdkMessageProperties {
  messageKey(key: string): void;
  shardingKey(key: string): void;
  putProperty(key: string, value: string): void;
}
interface SdkProducer {
  publishMessage(
    body: string,
    tag?: string,
    properties?: SdkMessageProperties,
  ): Promise<SdkResponse<{ readonly MessageId: string; readonly MessageBodyMD5: string }>>;
}
interface SdkConsumer {
  consumeMessage(count: number, waitSeconds?: number): Promise<SdkResponse<SdkMessage[]>>;
  consumeMessageOrderly(count: number, waitSeconds?: number): Promise<SdkResponse<SdkMessage[]>>;
  ackMessage(handles: string[]): Promise<SdkResponse<SdkAckError[] | undefined>>;
}
interface SdkClient {
  getProducer(instanceId: string, topic: string): SdkProducer;
  getConsumer(instanceId: string, topic: string, group: string, tag?: string): SdkConsumer;
}
interface Sdk {
  readonly MQClient: new (endpoint: string, accessKeyId: string, accessKeySecret: string) => SdkClient;
  readonly MessageProperties: new () => SdkMessageProperties;
}
const sdk = createRequire(import.meta.url)('@aliyunmq/mq-http-sdk') as Sdk;

/** What the SDK throws: `.Code` for service errors, `.code` for socket errors. */
type SdkError = Error & { readonly Code?: string; readonly RequestId?: string; readonly code?: string };

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

async function start(
  options: Parameters<typeof startMqHttpPeer>[0] = {},
): Promise<{ peer: MqHttpPeer; client: SdkClient }> {
  peer = await startMqHttpPeer(options);
  return { peer, client: new sdk.MQClient(peer.endpoint, peer.accessKeyId, peer.accessKeySecret) };
}

describe('MQ HTTP peer with the real @aliyunmq/mq-http-sdk', () => {
  it('round-trips body, tag, keys, properties and sharding key from publish through consume to ack', async () => {
    const { peer, client } = await start();
    const properties = new sdk.MessageProperties();
    properties.messageKey('order-1');
    properties.putProperty('source', 'checkout');
    properties.shardingKey('customer-7');
    const body = 'ünïcödé <&> "quotes"\r\nline two';
    const published = await client.getProducer('', 'orders').publishMessage(body, 'created', properties);
    expect(published.code).toBe(201);
    expect(published.body.MessageId).toMatch(/^[0-9A-F]{32}$/);

    const consumer = client.getConsumer('', 'orders', 'GID_a');
    const consumed = await consumer.consumeMessage(16, 1);
    expect(consumed.code).toBe(200);
    expect(consumed.body).toHaveLength(1);
    const [message] = consumed.body;
    expect(message).toMatchObject({
      MessageId: published.body.MessageId,
      MessageBodyMD5: published.body.MessageBodyMD5,
      MessageBody: body,
      MessageTag: 'created',
      MessageKey: 'order-1',
      ShardingKey: 'customer-7',
      ConsumedTimes: '1',
      Properties: { source: 'checkout' },
    });
    expect(Number(message?.NextConsumeTime)).toBeGreaterThan(Number(message?.FirstConsumeTime));
    expect(peer.pending('GID_a', 'orders')).toBe(1);

    const acked = await consumer.ackMessage([message?.ReceiptHandle ?? '']);
    expect(acked).toMatchObject({ code: 204, body: undefined });
    expect(peer.pending('GID_a', 'orders')).toBe(0);
    await peer.idle('GID_a', 'orders');
    expect(peer.stats()).toMatchObject({ published: 1, deliveries: 1, acks: 1 });
  });

  it('delivers a message published into the peer, a body with "]]>" intact', async () => {
    const { peer, client } = await start();
    const id = peer.publish({
      topic: 'orders',
      body: 'a ]]> b <![CDATA[ c',
      tag: 'paid',
      keys: ['k1', 'k2'],
      properties: { region: 'eu' },
    });
    const { body } = await client.getConsumer('', 'orders', 'GID_a').consumeMessage(1, 1);
    expect(body[0]).toMatchObject({
      MessageId: id,
      MessageBody: 'a ]]> b <![CDATA[ c',
      MessageTag: 'paid',
      MessageKey: 'k1 k2',
      Properties: { region: 'eu' },
    });
  });

  it('answers MessageNotExist once the long poll has waited in vain', async () => {
    const { peer, client } = await start();
    const startedAt = Date.now();
    const error = await rejectionOf(client.getConsumer('', 'orders', 'GID_a').consumeMessage(16, 1));
    expect(error.Code).toBe('MessageNotExist');
    expect(error.message).toContain('failed with 404');
    // A lower bound only: the poll was held rather than answered at once.
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900);
    expect(peer.stats().errors).toMatchObject({ MessageNotExist: 1 });
  });

  it('answers a waiting long poll as soon as a message is published', async () => {
    const { peer, client } = await start();
    const consuming = client.getConsumer('', 'orders', 'GID_a').consumeMessage(16, 30);
    await peer.waitUntil(() => peer.stats().heldPolls === 1);
    expect(peer.stats().requests).toBe(1);
    peer.publish({ topic: 'orders', body: 'late' });
    const { body } = await consuming;
    expect(body.map((message) => message.MessageBody)).toEqual(['late']);
    expect(peer.stats().heldPolls).toBe(0);
  });

  it('refuses a wrong secret with SignatureDoesNotMatch and an unknown key with AccessDenied', async () => {
    const { peer } = await start();
    const wrongSecret = new sdk.MQClient(peer.endpoint, peer.accessKeyId, 'not-the-secret');
    const error = await rejectionOf(wrongSecret.getProducer('', 'orders').publishMessage('x'));
    expect(error).toMatchObject({ Code: 'SignatureDoesNotMatch' });
    expect(error.message).toContain('failed with 403');
    const consumeError = await rejectionOf(
      wrongSecret.getConsumer('', 'orders', 'GID_a').consumeMessage(1, 1),
    );
    expect(consumeError.Code).toBe('SignatureDoesNotMatch');
    const unknownKey = new sdk.MQClient(peer.endpoint, 'somebody-else', peer.accessKeySecret);
    expect(await rejectionOf(unknownKey.getProducer('', 'orders').publishMessage('x'))).toMatchObject({
      Code: 'AccessDenied',
    });
    expect(peer.stats()).toMatchObject({
      published: 0,
      errors: { SignatureDoesNotMatch: 2, AccessDenied: 1 },
    });
  });

  it('checks the credentials it was given', async () => {
    const { peer, client } = await start({ accessKeyId: 'LTAI-test', accessKeySecret: 's3cret' });
    expect([peer.accessKeyId, peer.accessKeySecret]).toEqual(['LTAI-test', 's3cret']);
    expect(peer.endpoint).toBe(`http://127.0.0.1:${peer.port}`);
    expect((await client.getProducer('', 'orders').publishMessage('x')).code).toBe(201);
  });

  it('redelivers an unacked message with ConsumedTimes 2 and a new handle, and refuses the old handle', async () => {
    const { peer, client } = await start({ invisibleTimeMs: 1500 });
    peer.publish({ topic: 'orders', body: 'again' });
    const consumer = client.getConsumer('', 'orders', 'GID_a');
    const [first] = (await consumer.consumeMessage(1, 1)).body;
    // Invisible now: nothing to deliver until NextConsumeTime.
    expect((await rejectionOf(consumer.consumeMessage(1))).Code).toBe('MessageNotExist');
    const [second] = (await consumer.consumeMessage(1, 5)).body;
    expect(second).toMatchObject({
      MessageId: first?.MessageId,
      FirstConsumeTime: first?.FirstConsumeTime,
      ConsumedTimes: '2',
    });
    expect(second?.ReceiptHandle).not.toBe(first?.ReceiptHandle);
    expect(Number(second?.NextConsumeTime)).toBeGreaterThan(Number(first?.NextConsumeTime));

    const stale = await consumer.ackMessage([first?.ReceiptHandle ?? '', second?.ReceiptHandle ?? '']);
    expect(stale).toEqual({
      code: 404,
      requestId: expect.any(String),
      body: [
        {
          ErrorCode: 'ReceiptHandleError',
          ErrorMessage: 'The receipt handle you provide is not valid.',
          ReceiptHandle: first?.ReceiptHandle,
        },
      ],
    });
    // The valid handle of the same request was acked, and a handle acks only once.
    expect(peer.pending('GID_a', 'orders')).toBe(0);
    expect((await consumer.ackMessage([second?.ReceiptHandle ?? ''])).code).toBe(404);
    expect(peer.stats()).toMatchObject({ deliveries: 2, redeliveries: 1, acks: 1, rejectedAcks: 2 });
  });

  it('refuses a handle after its NextConsumeTime even when nothing redelivered the message', async () => {
    const { peer, client } = await start({ invisibleTimeMs: 300 });
    peer.publish({ topic: 'orders', body: 'slow consumer' });
    const consumer = client.getConsumer('', 'orders', 'GID_a');
    const [message] = (await consumer.consumeMessage(1, 1)).body;
    await new Promise((resolve) => setTimeout(resolve, 400));
    const answer = await consumer.ackMessage([message?.ReceiptHandle ?? '']);
    expect(answer.body).toEqual([expect.objectContaining({ ErrorCode: 'ReceiptHandleError' })]);
    expect(peer.pending('GID_a', 'orders')).toBe(1);
  });

  it('gives every consumer group every message, independently', async () => {
    const { peer, client } = await start();
    const producer = client.getProducer('', 'orders');
    for (const body of ['one', 'two', 'three']) await producer.publishMessage(body);
    for (const group of ['GID_a', 'GID_b']) {
      const consumer = client.getConsumer('', 'orders', group);
      const { body } = await consumer.consumeMessage(16, 1);
      expect(body.map((message) => message.MessageBody)).toEqual(['one', 'two', 'three']);
      await consumer.ackMessage(body.map((message) => message.ReceiptHandle));
    }
    expect(peer.pending('GID_a', 'orders') + peer.pending('GID_b', 'orders')).toBe(0);
    expect(peer.pending('GID_never_polled', 'orders')).toBe(3);
  });

  it('filters on tags, "a||b" as the SDK encodes it', async () => {
    const { client } = await start();
    const producer = client.getProducer('', 'orders');
    await producer.publishMessage('a', 'created');
    await producer.publishMessage('b', 'paid');
    await producer.publishMessage('c', 'shipped');
    await producer.publishMessage('none');
    const { body } = await client
      .getConsumer('', 'orders', 'GID_a', 'created||shipped')
      .consumeMessage(16, 1);
    expect(body.map((message) => [message.MessageBody, message.MessageTag])).toEqual([
      ['a', 'created'],
      ['c', 'shipped'],
    ]);
    const all = await client.getConsumer('', 'orders', 'GID_b').consumeMessage(16, 1);
    expect(all.body).toHaveLength(4);
  });

  it('keeps instances apart: the instance id is a namespace', async () => {
    const { peer, client } = await start();
    await client.getProducer('MQ_INST_1', 'orders').publishMessage('in instance 1');
    expect((await rejectionOf(client.getConsumer('', 'orders', 'GID_a').consumeMessage(1))).Code).toBe(
      'MessageNotExist',
    );
    const { body } = await client.getConsumer('MQ_INST_1', 'orders', 'GID_a').consumeMessage(1, 1);
    expect(body[0]?.MessageBody).toBe('in instance 1');
    expect(peer.pending('GID_a', 'orders', 'MQ_INST_1')).toBe(1);
  });

  it('consumes in order per sharding key: the next message waits for the ack of the previous', async () => {
    // Long enough that nothing comes back by itself during the test.
    const { peer, client } = await start({ invisibleTimeMs: 30_000 });
    const producer = client.getProducer('', 'orders');
    for (const [body, key] of [
      ['a1', 'a'],
      ['b1', 'b'],
      ['a2', 'a'],
      ['b2', 'b'],
    ] as const) {
      const properties = new sdk.MessageProperties();
      properties.shardingKey(key);
      await producer.publishMessage(body, '', properties);
    }
    const consumer = client.getConsumer('', 'orders', 'GID_a');
    const bodies = (messages: readonly SdkMessage[]): string[] =>
      messages.map((message) => message.MessageBody);

    const first = await consumer.consumeMessageOrderly(1, 1);
    expect(bodies(first.body)).toEqual(['a1']);
    const second = await consumer.consumeMessageOrderly(16, 1);
    expect(bodies(second.body)).toEqual(['b1', 'b2']);
    // Both keys have unacked messages in flight: nothing more.
    expect((await rejectionOf(consumer.consumeMessageOrderly(16))).Code).toBe('MessageNotExist');

    await consumer.ackMessage(first.body.map((message) => message.ReceiptHandle));
    const third = await consumer.consumeMessageOrderly(16, 1);
    expect(bodies(third.body)).toEqual(['a2']);
    expect(third.body[0]?.ShardingKey).toBe('a');
    await consumer.ackMessage([...second.body, ...third.body].map((message) => message.ReceiptHandle));
    expect(peer.pending('GID_a', 'orders')).toBe(0);
  });

  it('answers MalformedXML when the SDK sends a body holding "]]>", which it does not escape', async () => {
    const { peer, client } = await start();
    const error = await rejectionOf(client.getProducer('', 'orders').publishMessage('x ]]> y'));
    expect(error.Code).toBe('MalformedXML');
    expect(peer.stats().published).toBe(0);
  });

  it('answers InvalidArgument for more than 16 messages per consume', async () => {
    const { client } = await start();
    const error = await rejectionOf(client.getConsumer('', 'orders', 'GID_a').consumeMessage(17, 1));
    expect(error).toMatchObject({ Code: 'InvalidArgument' });
    expect(error.message).toContain('failed with 400');
  });

  it('holds a message back until its start deliver time', async () => {
    const { peer, client } = await start();
    const deliverAt = Date.now() + 300;
    peer.publish({ topic: 'orders', body: 'later', startDeliverTime: deliverAt });
    const { body } = await client.getConsumer('', 'orders', 'GID_a').consumeMessage(1, 5);
    expect(Date.now()).toBeGreaterThanOrEqual(deliverAt);
    expect(body[0]?.MessageBody).toBe('later');
  });

  it('answers TopicNotExist for a topic outside the declared ones', async () => {
    const { client } = await start({ topics: ['orders'] });
    expect((await client.getProducer('', 'orders').publishMessage('x')).code).toBe(201);
    expect(await rejectionOf(client.getProducer('', 'payments').publishMessage('x'))).toMatchObject({
      Code: 'TopicNotExist',
    });
  });
});
