import { context, SpanKind, SpanStatusCode, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createProcessor } from '../../src/create-processor.js';
import { Consumer, Subscribe } from '../../src/decorators/handler-metadata.js';
import { DeadLetterError } from '../../src/errors.js';
import type { HandlerContext } from '../../src/handler-context.js';
import { createTracingInstrumentation } from '../../src/observability/create-tracing-instrumentation.js';
import type { OrderCreated } from '../support/handlers.js';
import { inboundMessage, redeliveryOf } from '../support/messages.js';
import { type TestTables, useTestDatabase } from '../support/test-database.js';

/** Writes an effect inside a span of its own, as an instrumented database client would. */
@Consumer({ group: 'billing' })
class TracedOrderHandlers {
  readonly failing = new Set<string>();
  readonly rejecting = new Set<string>();

  constructor(private readonly tracer: Tracer) {}

  @Subscribe<OrderCreated>({ topic: 'orders', tag: 'created' })
  async onOrderCreated(order: OrderCreated, ctx: HandlerContext<TestTables>): Promise<void> {
    await this.tracer.startActiveSpan('insert effect', async (span) => {
      try {
        await ctx.trx
          .insertInto('effects')
          .values({ key: ctx.idempotencyKey, handler: 'traced', value: order.amount })
          .execute();
      } finally {
        span.end();
      }
    });
    if (this.rejecting.has(order.orderId)) throw new DeadLetterError(`order ${order.orderId} is unknown`);
    if (this.failing.has(order.orderId)) throw new Error(`payment service down for ${order.orderId}`);
  }
}

describe('createTracingInstrumentation', () => {
  const database = useTestDatabase();
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const contextManager = new AsyncLocalStorageContextManager();

  beforeAll(() => {
    // Without a context manager the API cannot carry the active span across awaits.
    context.setGlobalContextManager(contextManager.enable());
  });
  afterAll(async () => {
    context.disable();
    await provider.shutdown();
  });
  beforeEach(() => exporter.reset());

  function setup() {
    const { db, schema } = database();
    const handlers = new TracedOrderHandlers(provider.getTracer('app'));
    const processor = createProcessor({
      db,
      schema,
      handlers: [handlers],
      instrumentation: createTracingInstrumentation({
        tracerProvider: provider,
        propagator: new W3CTraceContextPropagator(),
      }),
    });
    return { handlers, processor };
  }

  const consumerSpans = (): ReadableSpan[] =>
    exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.CONSUMER);
  const childrenOf = (parent: ReadableSpan): ReadableSpan[] =>
    exporter
      .getFinishedSpans()
      .filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);

  it('gives a processed message one CONSUMER span named after its topic, with the messaging attributes', async () => {
    const { processor } = setup();
    const message = inboundMessage({ keys: ['order-1', 'customer-7'], messageGroup: 'customer-7' });

    await processor.dispatch(message);

    const spans = consumerSpans();
    expect(spans).toHaveLength(1);
    const [span] = spans;
    expect(span?.name).toBe('process orders');
    expect(span?.attributes).toEqual({
      'messaging.system': 'rocketmq',
      'messaging.operation.type': 'process',
      'messaging.operation.name': 'process',
      'messaging.destination.name': 'orders',
      'messaging.consumer.group.name': 'billing',
      'messaging.message.id': message.messageId,
      'messaging.message.body.size': message.body.length,
      'messaging.rocketmq.consumption_model': 'clustering',
      'messaging.rocketmq.message.tag': 'created',
      'messaging.rocketmq.message.keys': ['order-1', 'customer-7'],
      'messaging.rocketmq.message.group': 'customer-7',
      'messaging.rocketmq.message.type': 'fifo',
      'idem.delivery_attempt': 1,
      'idem.transport': 'test',
      'idem.outcome': 'processed',
      'idem.idempotency_key': 'order-1',
      'idem.handler': 'TracedOrderHandlers.onOrderCreated',
    });
    expect(span?.status.code).toBe(SpanStatusCode.UNSET);
  });

  it("makes the consumer span the parent of the handler's own spans", async () => {
    const { processor } = setup();
    await processor.dispatch(inboundMessage({ keys: ['order-2'] }));

    const [consumer] = consumerSpans();
    if (consumer === undefined) throw new Error('no consumer span');
    expect(childrenOf(consumer).map((span) => span.name)).toEqual(['insert effect']);
    expect(childrenOf(consumer)[0]?.spanContext().traceId).toBe(consumer.spanContext().traceId);
  });

  it('marks a failed message ERROR and records the handler error', async () => {
    const { handlers, processor } = setup();
    handlers.failing.add('o-3');

    await processor.dispatch(inboundMessage({ keys: ['order-3'], json: { orderId: 'o-3', amount: 1 } }));

    const [span] = consumerSpans();
    expect(span?.attributes).toMatchObject({
      'idem.outcome': 'failed',
      'error.type': 'HANDLER_FAILED',
      'idem.retryable': false,
    });
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
    expect(span?.status.message).toMatch(/payment service down for o-3/);
    const exception = span?.events.find((event) => event.name === 'exception');
    expect(exception?.attributes?.['exception.message']).toMatch(/payment service down for o-3/);
  });

  it('marks a dead-lettered message ERROR with the reason', async () => {
    const { handlers, processor } = setup();
    handlers.rejecting.add('o-4');

    await processor.dispatch(inboundMessage({ keys: ['order-4'], json: { orderId: 'o-4', amount: 1 } }));

    const [span] = consumerSpans();
    expect(span?.attributes).toMatchObject({
      'idem.outcome': 'dead-lettered',
      'error.type': 'HANDLER_REJECTED',
    });
    expect(span?.status.code).toBe(SpanStatusCode.ERROR);
  });

  it('tells a skipped redelivery from a producer re-send on the span', async () => {
    const { processor } = setup();
    const message = inboundMessage({ keys: ['order-5'] });
    await processor.dispatch(message);
    await processor.dispatch(redeliveryOf(message));
    await processor.dispatch(inboundMessage({ keys: ['order-5'] }));

    const spans = consumerSpans();
    expect(spans.map((span) => span.attributes['idem.outcome'])).toEqual([
      'processed',
      'duplicate',
      'duplicate',
    ]);
    expect(spans.map((span) => span.attributes['idem.duplicate_kind'])).toEqual([
      undefined,
      'redelivery',
      'producer-resend',
    ]);
    expect(spans[1]?.attributes['idem.delivery_attempt']).toBe(2);
    // A duplicate runs no handler, so its span has no children.
    expect(spans[1] && childrenOf(spans[1])).toEqual([]);
  });

  it("gives every message of a batch its own span, the handler's spans its children", async () => {
    const { handlers, processor } = setup();
    handlers.failing.add('o-8');
    const messages = ['o-6', 'o-7', 'o-8'].map((orderId) =>
      inboundMessage({ keys: [orderId], json: { orderId, amount: 1 } }),
    );
    const first = messages[0];
    if (first === undefined) throw new Error('unreachable');

    const results = await processor.dispatchBatch([...messages, redeliveryOf(first)]);

    expect(results.map((result) => result.outcome)).toEqual([
      'processed',
      'processed',
      'failed',
      'duplicate',
    ]);
    const spans = consumerSpans();
    expect(spans).toHaveLength(4);
    const handled = spans.filter((span) => span.attributes['idem.outcome'] !== 'duplicate');
    const byKey = new Map(handled.map((span) => [String(span.attributes['idem.idempotency_key']), span]));
    for (const key of ['o-6', 'o-7', 'o-8']) {
      const span = byKey.get(key);
      expect(span && childrenOf(span).map((child) => child.name)).toEqual(['insert effect']);
    }
    expect(byKey.get('o-8')?.status.code).toBe(SpanStatusCode.ERROR);
    const duplicate = spans.find((span) => span.attributes['idem.outcome'] === 'duplicate');
    expect(duplicate?.attributes).toMatchObject({
      'idem.duplicate_kind': 'redelivery',
      'idem.delivery_attempt': 2,
    });
    expect(duplicate && childrenOf(duplicate)).toEqual([]);
  });

  it("links the consumer span to the producer's trace context carried in the properties", async () => {
    const { processor } = setup();
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const producerSpanId = '00f067aa0ba902b7';
    await processor.dispatch(
      inboundMessage({
        keys: ['order-9'],
        properties: { traceparent: `00-${traceId}-${producerSpanId}-01` },
      }),
    );

    const [span] = consumerSpans();
    expect(span?.links.map((link) => link.context)).toMatchObject([{ traceId, spanId: producerSpanId }]);
    // The conventions make the creation context a link, not the parent.
    expect(span?.parentSpanContext).toBeUndefined();
  });

  it('costs nothing and changes no result without an SDK', async () => {
    const { db, schema } = database();
    const processor = createProcessor({
      db,
      schema,
      handlers: [new TracedOrderHandlers(provider.getTracer('app'))],
      instrumentation: createTracingInstrumentation(),
    });
    const result = await processor.dispatch(inboundMessage({ keys: ['order-10'] }));
    expect(result.outcome).toBe('processed');
    expect(consumerSpans()).toEqual([]);
  });
});
