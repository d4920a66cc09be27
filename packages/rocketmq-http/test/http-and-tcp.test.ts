import { createTcpConsumer, TCP_TRANSPORT, type TcpConsumer } from '@idem/rocketmq-tcp';
import { type RocketMQPeer, startRocketMQPeer } from '@idem/testing';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { OrderHandlers } from '../../../test-support/effects/order-handlers.js';
import { HTTP_TRANSPORT } from '../src/index.js';
import { httpTestKit, publishOrders } from './support/http-test-kit.js';

const HTTP_GROUP = 'GID_billing_http';
const TCP_GROUP = 'GID_billing_tcp';
const COUNT = 100;

describe('one handler class consumed over TCP and HTTP', () => {
  const kit = httpTestKit();
  let tcpPeer: RocketMQPeer | undefined;
  let tcpConsumer: TcpConsumer | undefined;
  afterEach(async () => {
    await tcpConsumer?.stop();
    await tcpPeer?.stop();
    tcpConsumer = undefined;
    tcpPeer = undefined;
    await kit.cleanUp();
  });

  it('processes each message once per transport and consumer group, with one handler instance', async () => {
    const httpPeer = await kit.startPeer();
    tcpPeer = await startRocketMQPeer({ minInvisibleDurationMs: 1000 });
    const database = await kit.database();
    const handlers = new OrderHandlers();
    // The same business events reach both brokers under the same keys.
    publishOrders(httpPeer, COUNT);
    for (let index = 0; index < COUNT; index += 1) {
      tcpPeer.publish({ topic: 'orders', body: `order ${index}`, keys: [`order-${index}`] });
    }
    const httpConsumer = kit.consumer(httpPeer, database, {
      handlers: [handlers],
      consumerGroup: HTTP_GROUP,
    });
    tcpConsumer = createTcpConsumer({
      endpoints: tcpPeer.endpoints,
      consumerGroup: TCP_GROUP,
      db: database.db,
      schema: database.schema,
      handlers: [handlers],
      invisibleDurationMs: 3000,
      longPollingTimeoutMs: 1000,
    });
    await Promise.all([httpConsumer.start(), tcpConsumer.start()]);
    await Promise.all([
      httpPeer.idle(HTTP_GROUP, 'orders', { timeoutMs: 30_000 }),
      tcpPeer.idle(TCP_GROUP, { timeoutMs: 30_000 }),
    ]);

    const perTransport = await sql<{ transport: string; effects: string; keys: string }>`
      select transport, count(*) as effects, count(distinct key) as keys from effects group by transport order by transport
    `.execute(database.db);
    expect(perTransport.rows).toEqual([
      { transport: HTTP_TRANSPORT, effects: String(COUNT), keys: String(COUNT) },
      { transport: TCP_TRANSPORT, effects: String(COUNT), keys: String(COUNT) },
    ]);
    const perGroup = await sql<{ consumer_group: string; keys: string }>`
      select consumer_group, count(*) as keys from processed_keys group by consumer_group order by consumer_group
    `.execute(database.db);
    expect(perGroup.rows).toEqual([
      { consumer_group: HTTP_GROUP, keys: String(COUNT) },
      { consumer_group: TCP_GROUP, keys: String(COUNT) },
    ]);
    expect(handlers.controls.calls).toBe(2 * COUNT);
    expect(httpConsumer.health().outcomes.processed).toBe(COUNT);
    expect(tcpConsumer.health().outcomes.processed).toBe(COUNT);
  });
});
