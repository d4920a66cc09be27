// The adapter's gRPC keepalive (a ping every 4 s while calls are open, see
// install-grpc-channel-options.ts) against the real RocketMQ 5.5 proxy. The proxy's grpc-java
// server sets no `permitKeepAliveTime`, whose default is 5 minutes: a server that enforced it
// would answer pings this frequent with GOAWAY "too_many_pings" and close the connection, and the
// consumer would then reconnect over and over. This test runs an idle consumer process long
// enough for a dozen pings and reads grpc-js's own trace: every ping answered, no GOAWAY, the
// connection kept.
import { randomBytes } from 'node:crypto';
import type { ConsumerProcess } from '@idem/testing';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createEffectsDatabase,
  type EffectsDatabase,
} from '../../../test-support/effects/effects-database.js';
import { startChildConsumer } from './support/child-consumer.js';
import { useRealBroker } from './support/real-broker.js';
import { type RealProducer, startRealProducer } from './support/real-producer.js';

// Idle time: long enough for grpc-java's ping strikes (more than two pings per permitted interval) to be
// exceeded several times over.
const IDLE_MS = 50_000;

describe('gRPC keepalive against a real RocketMQ 5 proxy', () => {
  const brokerFor = useRealBroker();
  let database: EffectsDatabase | undefined;
  let child: ConsumerProcess | undefined;
  let producer: RealProducer | undefined;

  afterAll(async () => {
    await child?.terminate();
    await producer?.shutdown();
    await database?.drop();
  }, 120_000);

  it('keeps one connection through 50 idle seconds of pings every 4 s, and consumes on it afterwards', async (ctx) => {
    const broker = brokerFor(ctx);
    const suffix = randomBytes(4).toString('hex');
    const topic = `idem_keepalive_${suffix}`;
    await broker.createTopic({ name: topic, queues: 1 });
    await broker.createGroup(topic);
    database = await createEffectsDatabase();
    const db = database;
    child = await startChildConsumer({
      IDEM_TEST_DATABASE_URL: db.url,
      IDEM_TEST_SCHEMA: db.schema,
      IDEM_TEST_ENDPOINTS: broker.endpoints,
      IDEM_TEST_GROUP: topic,
      IDEM_TEST_TOPIC: topic,
      // The proxy rejects invisible durations under 10 s and clamps long polls to 5-20 s.
      IDEM_TEST_INVISIBLE_MS: '10000',
      IDEM_TEST_LONG_POLLING_MS: '20000',
      // grpc-js reads these when it loads: its keepalive and transport trace on stderr.
      GRPC_TRACE: 'keepalive,transport',
      GRPC_VERBOSITY: 'DEBUG',
    });
    const consumer = child;
    const readyAt = consumer.output().length;
    // The idle time is the scenario: pings go out only while nothing else is on the wire.
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idle = consumer.output().slice(readyAt);

    producer = await startRealProducer(broker.endpoints, [topic]);
    await producer.sendAll([{ topic, body: 'order 1', keys: ['order-1'] }]);
    await expect.poll(() => db.effectCount(), { timeout: 30_000, interval: 200 }).toBe(1);

    const count = (pattern: RegExp): number => idle.split('\n').filter((line) => pattern.test(line)).length;
    const sent = count(/keepalive .*Sending ping/);
    const answered = count(/keepalive .*Received ping response/);
    console.log(`idle ${IDLE_MS / 1000} s: ${sent} pings sent, ${answered} answered`);
    // 50 s at one ping per 4 s: about 12, fewer on a loaded machine; the trace is really on.
    expect(sent).toBeGreaterThanOrEqual(6);
    expect(answered).toBeGreaterThanOrEqual(sent - 1);
    // grpc-js traces a GOAWAY as 'connection closed by GOAWAY with code …'.
    expect(count(/transport .*connection closed/)).toBe(0);
    expect(idle).not.toMatch(/GOAWAY|too_many_pings/i);
    expect(count(/keepalive .*(Ping timeout passed|Ping failed|Ping send failed)/)).toBe(0);
  }, 180_000);
});
