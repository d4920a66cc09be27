import { createRequire } from 'node:module';
import { silentLogger } from '@idem/core';
import type { ReceivedMessage } from '@idem/core/adapter';
import type { MessageView } from 'rocketmq-client-nodejs';
import { afterEach, describe, expect, it } from 'vitest';
import { refusedAcks } from '../src/ack-in-one-request.js';
import { RocketMQTcpSource } from '../src/rocketmq-tcp-source.js';
import { BACKENDS, type BackendFixture, useBackend } from './support/backend-fixture.js';

const require = createRequire(import.meta.url);

interface AckRequestLike {
  getEntriesList(): unknown[];
}

/**
 * Counts the entries of every AckMessage call the client puts on the wire, at the generated gRPC
 * stub all of its calls go through (an observation of the real client, which still sends).
 */
function recordAckRequests(): { readonly entries: number[]; restore(): void } {
  const service = require('rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_grpc_pb') as {
    MessagingServiceClient: { prototype: { ackMessage(this: unknown, ...args: unknown[]): unknown } };
  };
  const prototype = service.MessagingServiceClient.prototype;
  const original = prototype.ackMessage;
  const entries: number[] = [];
  prototype.ackMessage = function recordedAckMessage(this: unknown, ...args: unknown[]) {
    entries.push((args[0] as AckRequestLike).getEntriesList().length);
    return original.apply(this, args);
  };
  return {
    entries,
    restore: () => {
      prototype.ackMessage = original;
    },
  };
}

/** A started source on the fixture's topic and group, with the backend's timing. */
async function startSource(fixture: BackendFixture): Promise<RocketMQTcpSource> {
  const source = new RocketMQTcpSource({
    endpoints: fixture.endpoints,
    consumerGroup: fixture.group,
    namespace: '',
    subscriptions: [{ topic: fixture.topic, tagExpression: '*' }],
    credentials: undefined,
    tls: false,
    ...fixture.timing,
    requestTimeoutMs: 3000,
    startupTimeoutMs: 15_000,
    logger: silentLogger,
  });
  await source.start();
  return source;
}

/** Receives until `count` messages came (or a minute passed). */
async function receiveAll(source: RocketMQTcpSource, count: number): Promise<ReceivedMessage<MessageView>[]> {
  const received: ReceivedMessage<MessageView>[] = [];
  const giveUpAt = Date.now() + 60_000;
  while (received.length < count && Date.now() < giveUpAt) {
    received.push(...(await source.receive(count - received.length, new AbortController().signal)));
  }
  return received;
}

describe.each(BACKENDS)('RocketMQTcpSource acks on the %s', (backend) => {
  const setup = useBackend(backend);
  let source: RocketMQTcpSource | undefined;
  let recorder: ReturnType<typeof recordAckRequests> | undefined;
  afterEach(async () => {
    recorder?.restore();
    recorder = undefined;
    await source?.close();
    source = undefined;
  });

  it('acknowledges the messages of a receive in one AckMessage request, and they do not come back', async (ctx) => {
    const fixture = await setup(ctx);
    const started = await startSource(fixture);
    source = started;
    await fixture.publish(8);
    const received = await receiveAll(started, 8);
    expect(received).toHaveLength(8);

    recorder = recordAckRequests();
    await started.ack(received.map((item) => item.receipt));
    expect(recorder.entries).toEqual([8]);

    // Acked, none is redelivered once the invisible time has passed.
    await new Promise((resolve) => setTimeout(resolve, fixture.timing.invisibleDurationMs + 1000));
    expect(await started.receive(8, new AbortController().signal)).toEqual([]);
  }, 120_000);
});

describe('RocketMQTcpSource acks on the peer, partly refused', () => {
  const setup = useBackend('peer');
  let source: RocketMQTcpSource | undefined;
  afterEach(async () => {
    await source?.close();
  });

  it('counts a handle made stale by a lease extension as settled and still acks the rest of the request', async (ctx) => {
    const fixture = await setup(ctx);
    const peer = fixture.peer;
    if (peer === undefined) throw new Error('the peer backend has a peer');
    const started = await startSource(fixture);
    source = started;
    await fixture.publish(4);
    const received = await receiveAll(started, 4);
    const [extended, ...others] = received.map((item) => item.receipt);
    if (extended === undefined) throw new Error('four messages were received');
    // The client swaps the view's handle on a lease extension: keep the old one in a copy.
    const stale: MessageView = Object.assign(Object.create(Object.getPrototypeOf(extended)), extended);
    await started.extendLease(extended, 10_000);

    await started.ack([stale, ...others]);
    expect(peer.stats().groups[fixture.group]).toMatchObject({ acks: 3, invalidHandles: 1 });
    expect(peer.pending(fixture.group, fixture.topic)).toBe(1);
    await started.ack([extended]);
    expect(peer.pending(fixture.group, fixture.topic)).toBe(0);
  });
});

describe('refusedAcks', () => {
  const views = [{ messageId: 'a' }, { messageId: 'b' }, { messageId: 'c' }];
  const status = (code: number, message = '') => ({ code, message });

  it('names only the entries refused for another reason than a stale handle', () => {
    const response = {
      status: status(30_000, 'multiple results'),
      entriesList: [
        { messageId: 'a', receiptHandle: 'ha', status: status(20_000) },
        { messageId: 'b', receiptHandle: 'hb', status: status(40_013, 'invalid handle') },
        { messageId: 'c', receiptHandle: 'hc', status: status(50_001, 'internal error') },
      ],
    };
    expect(refusedAcks(response, views)).toEqual([
      { messageId: 'c', code: 50_001, message: 'internal error' },
    ]);
  });

  it('falls back to the top-level status when the answer has no entries', () => {
    expect(refusedAcks({ status: status(20_000), entriesList: [] }, views)).toEqual([]);
    expect(refusedAcks({ status: status(42_900, 'too many requests'), entriesList: [] }, views)).toHaveLength(
      3,
    );
    expect(refusedAcks({ status: status(30_000), entriesList: [] }, views)).toHaveLength(3);
  });
});
