import { createRequire } from 'node:module';
import type { ChannelCredentials, Client } from '@grpc/grpc-js';
import { silentLogger } from '@idem/core';
import { type RocketMQPeer, startRocketMQPeer } from '@idem/testing';
import { FilterExpression, SimpleConsumer } from 'rocketmq-client-nodejs';
import { afterEach, describe, expect, it } from 'vitest';
import { clientLogger } from '../src/client-logger.js';
import { installGrpcChannelOptions, sharedChannels } from '../src/install-grpc-channel-options.js';

const require = createRequire(import.meta.url);
const grpc = require('@grpc/grpc-js') as typeof import('@grpc/grpc-js');
type ClientConstructor = new (address: string, credentials: ChannelCredentials) => Client;

describe('gRPC channels of rocketmq-client-nodejs, once installed', () => {
  let peer: RocketMQPeer | undefined;
  let consumer: SimpleConsumer | undefined;
  afterEach(async () => {
    await consumer?.shutdown();
    consumer = undefined;
    await peer?.stop();
    peer = undefined;
  });

  it('are shared by the clients of one address and closed with the last of them', () => {
    installGrpcChannelOptions();
    const { MessagingServiceClient } =
      require('rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_grpc_pb') as {
        MessagingServiceClient: ClientConstructor;
      };
    const before = sharedChannels.size;
    const first = new MessagingServiceClient('127.0.0.1:1', grpc.credentials.createInsecure());
    const second = new MessagingServiceClient('127.0.0.1:1', grpc.credentials.createInsecure());
    const elsewhere = new MessagingServiceClient('127.0.0.1:2', grpc.credentials.createInsecure());
    expect(second.getChannel()).toBe(first.getChannel());
    expect(elsewhere.getChannel()).not.toBe(first.getChannel());
    expect(sharedChannels.size).toBe(before + 2);

    first.close();
    expect(second.getChannel().getConnectivityState(false)).not.toBe(grpc.connectivityState.SHUTDOWN);
    first.close(); // a second close gives nothing back twice
    second.close();
    expect(first.getChannel().getConnectivityState(false)).toBe(grpc.connectivityState.SHUTDOWN);
    elsewhere.close();
    expect(sharedChannels.size).toBe(before);
  });

  // The client keys its RpcClients by each route's Endpoints object, which every route refresh
  // (30 s) builds anew: without sharing, each refresh opened one more channel to the same broker.
  it('stay one per broker address across route refreshes of a consumer', async () => {
    installGrpcChannelOptions();
    const started = await startRocketMQPeer();
    peer = started;
    const before = sharedChannels.size;
    consumer = new SimpleConsumer({
      endpoints: started.endpoints,
      namespace: '',
      consumerGroup: 'billing',
      subscriptions: new Map([['orders', new FilterExpression('*')]]),
      awaitDuration: 500,
      logger: clientLogger(silentLogger, {}),
    });
    // Protected in the client's types; its own timer calls it every 30 s.
    const refreshRoutes = (consumer as unknown as { updateRoutes(): Promise<void> }).updateRoutes.bind(
      consumer,
    );
    await consumer.startup();
    for (let refresh = 0; refresh < 5; refresh++) {
      await refreshRoutes();
      started.publish({ topic: 'orders', body: `order ${refresh}` });
      const received = await consumer.receive(1, 15_000);
      expect(received).toHaveLength(1);
      for (const message of received) await consumer.ack(message);
    }
    expect(sharedChannels.size).toBe(before + 1);
    await consumer.shutdown();
    consumer = undefined;
    expect(sharedChannels.size).toBe(before);
  });
});
