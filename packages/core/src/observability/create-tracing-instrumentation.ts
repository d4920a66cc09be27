import {
  context,
  defaultTextMapGetter,
  isSpanContextValid,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type TracerProvider,
  trace,
} from '@opentelemetry/api';
import type { InboundMessage } from '../message.js';
import { consumerSpanAttributes, resultSpanAttributes } from './consumer-span-attributes.js';
import type { DispatchInfo, DispatchInstrumentation } from './dispatch-instrumentation.js';

/** Options of {@link createTracingInstrumentation}. */
export interface TracingInstrumentationOptions {
  /** Where spans go. Default the global provider: a no-op until an OpenTelemetry SDK registers one. */
  readonly tracerProvider?: TracerProvider;
  /**
   * Reads the producer's trace context from the message properties (e.g. `traceparent`) to link
   * the consumer span to it. Default the global propagator (none until an SDK sets one).
   */
  readonly propagator?: TextMapPropagator;
}

/**
 * Creates the processor instrumentation that gives every delivery one CONSUMER span, named
 * `process <topic>` with the OpenTelemetry messaging attributes, and makes it the active
 * context while the handler runs, so the handler's own spans (database, HTTP) are its children.
 * The span ends with the outcome (`idem.outcome`, `idem.idempotency_key`, `idem.duplicate_kind`)
 * and status ERROR, the error recorded, when the message failed or was dead-lettered. A
 * producer's trace context found in the properties becomes a link, as the conventions advise.
 *
 * Costs next to nothing without an SDK: `@opentelemetry/api` hands out non-recording spans.
 *
 * @example
 * ```ts
 * const processor = createProcessor({ db, handlers, instrumentation: createTracingInstrumentation() });
 * ```
 */
export function createTracingInstrumentation(
  options: TracingInstrumentationOptions = {},
): DispatchInstrumentation {
  const provider = options.tracerProvider;
  const tracer = () => (provider ?? trace.getTracerProvider()).getTracer('@idem/core');
  // Spans started by `around` wait here for their result. A list, not one span, because the
  // same message object may be dispatched again before an earlier dispatch reported.
  const open = new WeakMap<InboundMessage, Span[]>();

  const startSpan = (message: InboundMessage, info: DispatchInfo, startTime?: number): Span => {
    const link = creationLink(message, options.propagator);
    return tracer().startSpan(
      `process ${message.topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: consumerSpanAttributes(message, info.consumerGroup),
        ...(link === undefined ? {} : { links: [link] }),
        ...(startTime === undefined ? {} : { startTime }),
      },
      context.active(),
    );
  };

  return {
    async around(message, run, info) {
      const span = startSpan(message, info);
      const pending = open.get(message);
      if (pending === undefined) open.set(message, [span]);
      else pending.push(span);
      return await context.with(trace.setSpan(context.active(), span), run);
    },
    onResult(result, message, info) {
      const pending = open.get(message);
      const span =
        pending?.shift() ??
        // Batch messages that ran no handler: their span covers the batch up to this result.
        startSpan(message, info, Date.now() - result.durationMs);
      if (pending?.length === 0) open.delete(message);
      span.setAttributes(resultSpanAttributes(result));
      if (result.outcome === 'failed' || result.outcome === 'dead-lettered') {
        span.recordException(result.error);
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.error.message });
      }
      span.end();
    },
  };
}

function creationLink(message: InboundMessage, propagator: TextMapPropagator | undefined): Link | undefined {
  const extracted = (propagator ?? propagation).extract(
    ROOT_CONTEXT,
    message.properties,
    defaultTextMapGetter,
  );
  const spanContext = trace.getSpanContext(extracted);
  return spanContext !== undefined && isSpanContextValid(spanContext) ? { context: spanContext } : undefined;
}
