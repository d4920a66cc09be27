import type { HandlerRegistry, Route } from '../handler-registry.js';
import type { DispatchInstrumentation } from './dispatch-instrumentation.js';

/**
 * A registry whose handlers run inside `instrumentation.around`: how batch dispatch gives each
 * message's handler its own context while the batch shares one transaction. The routes are
 * wrapped once, here, so resolving a message costs one map lookup more.
 */
export function instrumentHandlers(
  registry: HandlerRegistry,
  instrumentation: DispatchInstrumentation,
): HandlerRegistry {
  const info = { consumerGroup: registry.consumerGroup };
  const wrapped = new Map<Route, Route>(
    registry.routes.map((route) => [
      route,
      {
        ...route,
        invoke: (body, ctx) => instrumentation.around(ctx.message, () => route.invoke(body, ctx), info),
      },
    ]),
  );
  return {
    consumerGroup: registry.consumerGroup,
    subscriptions: registry.subscriptions,
    routes: [...wrapped.values()],
    resolve(topic, tag) {
      const route = registry.resolve(topic, tag);
      return route === undefined ? undefined : (wrapped.get(route) ?? route);
    },
  };
}
