import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ConsumerHealth } from '../../src/consumer/consumer-health.js';
import { type ConsumerRuntime, createConsumerRuntime } from '../../src/consumer/consumer-runtime.js';
import { createProcessor } from '../../src/create-processor.js';
import { createIdemMetrics } from '../../src/observability/create-idem-metrics.js';
import { type HealthServer, startHealthServer } from '../../src/observability/start-health-server.js';
import { OrderHandlers } from '../support/handlers.js';
import { useTestDatabase } from '../support/test-database.js';
import { sampleValue } from './support/prometheus-text.js';
import { QueueSource } from './support/queue-source.js';

describe('startHealthServer', () => {
  const database = useTestDatabase();
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  function consumer(group: string): { runtime: ConsumerRuntime; source: QueueSource } {
    const { db, schema } = database();
    const processor = createProcessor({ db, schema, handlers: [new OrderHandlers()], consumerGroup: group });
    const source = new QueueSource();
    const runtime = createConsumerRuntime({ source, processor });
    cleanups.push(() => runtime.stop());
    return { runtime, source };
  }

  async function serve(options: Omit<Parameters<typeof startHealthServer>[0], 'port' | 'host'>) {
    const server: HealthServer = await startHealthServer({ port: 0, host: '127.0.0.1', ...options });
    cleanups.push(() => server.stop());
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        text: await response.text(),
      };
    };
    return { server, get };
  }

  it('is live and ready while every consumer runs with broker and database reachable', async () => {
    const billing = consumer('billing');
    const shipping = consumer('shipping');
    const { get } = await serve({
      consumers: [
        { name: 'billing-consumer', health: () => billing.runtime.health() },
        { health: () => shipping.runtime.health(), processor: { consumerGroup: 'shipping' } },
      ],
    });
    await billing.runtime.start();
    await shipping.runtime.start();

    const ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.text)).toMatchObject({
      live: true,
      ready: true,
      consumers: [
        { name: 'billing-consumer', status: 'running', ready: true, reasons: [] },
        { name: 'shipping', status: 'running', ready: true, reasons: [] },
      ],
    });
    expect((await get('/healthz')).status).toBe(200);
  });

  it('answers 503 on /readyz with the reason while a broker is unreachable, and stays live', async () => {
    const billing = consumer('billing');
    const { get } = await serve({ consumers: [billing.runtime] });
    await billing.runtime.start();
    billing.source.unreachable = true;
    await vi.waitFor(() => expect(billing.runtime.health().broker.reachable).toBe(false), {
      timeout: 10_000,
    });

    const ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.type).toMatch(/application\/json/);
    const body = JSON.parse(ready.text) as { consumers: { name: string; reasons: string[] }[] };
    expect(body.consumers[0]?.name).toBe('consumer-1');
    expect(body.consumers[0]?.reasons).toEqual([expect.stringMatching(/^broker unreachable since \d{4}-/)]);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('is not ready before consumers start, and not live once one has stopped', async () => {
    const billing = consumer('billing');
    const { get } = await serve({ consumers: () => [billing.runtime.health()] });

    const before = await get('/readyz');
    expect(before.status).toBe(503);
    expect(JSON.parse(before.text)).toMatchObject({ consumers: [{ reasons: ['consumer is idle'] }] });
    expect((await get('/healthz')).status).toBe(200);

    await billing.runtime.start();
    await billing.runtime.stop();
    const live = await get('/healthz');
    expect(live.status).toBe(503);
    expect(JSON.parse(live.text)).toMatchObject({ live: false, consumers: [{ status: 'stopped' }] });
  });

  it('is not ready with no consumer at all', async () => {
    const { get } = await serve({ consumers: (): ConsumerHealth[] => [] });
    expect((await get('/readyz')).status).toBe(503);
    expect((await get('/healthz')).status).toBe(200);
  });

  it('serves the metrics registry at /metrics, and 404 for anything else', async () => {
    const billing = consumer('billing');
    const registry = new Registry();
    const metrics = createIdemMetrics({ registry });
    metrics.watchConsumer('billing', billing.runtime);
    await billing.runtime.start();
    const { get } = await serve({ consumers: [billing.runtime], registry });

    const scraped = await get('/metrics');
    expect(scraped.status).toBe(200);
    expect(scraped.type).toBe(registry.contentType);
    expect(sampleValue(scraped.text, 'idem_consumer_ready', { consumer_group: 'billing' })).toBe(1);
    expect((await get('/nowhere')).status).toBe(404);
    const posted = await fetch(`http://127.0.0.1:${(await serve({ consumers: [] })).server.port}/readyz`, {
      method: 'POST',
    });
    expect(posted.status).toBe(405);
  });

  it('has no /metrics without a registry', async () => {
    const { get } = await serve({ consumers: [] });
    expect((await get('/metrics')).status).toBe(404);
  });

  it('fails to start with a coded error when the port is taken, and stops more than once', async () => {
    const { server } = await serve({ consumers: [] });
    await expect(
      startHealthServer({ port: server.port, host: '127.0.0.1', consumers: [] }),
    ).rejects.toMatchObject({
      code: 'STARTUP_FAILED',
    });
    await server.stop();
    await server.stop();
  });
});
