import type { ConsumerEvent, DispatchResult, IdemConsumer, InboundMessage } from '@idem/core';
import { pickProcessorPolicy } from '@idem/core/integration';
import type { Kysely } from 'kysely';
import { transportName } from './assign-handlers.js';
import type { IdemModuleOptions, IdemTransportOptions } from './idem-module-options.js';
import { nestLoggerBridge } from './nest-logger-bridge.js';

/** A consumer the module runs: an {@link IdemConsumer} with the name the module knows it by. */
export interface RunningConsumer extends Omit<IdemConsumer, 'processor'> {
  /** `<kind>:<consumerGroup>` unless the transport was given a `name`. */
  readonly name: string;
  readonly kind: IdemTransportOptions['kind'];
  readonly consumerGroup: string;
}

/**
 * Creates one transport's consumer with the module's database, handlers, logger, tracing and
 * metrics. The adapter is imported only when a transport of its kind is configured, so an
 * application using one protocol never loads the other's client.
 */
export async function createTransportConsumer(
  transport: IdemTransportOptions,
  handlers: readonly object[],
  db: Kysely<unknown>,
  options: IdemModuleOptions,
): Promise<RunningConsumer> {
  const hooks = options.metrics?.hooks(transport.consumerGroup);
  const onResult = combine<[DispatchResult, InboundMessage]>(hooks?.onResult, transport.onResult);
  const onEvent = combine<[ConsumerEvent]>(hooks?.onEvent, transport.onEvent);
  // Module-wide defaults first, so a transport's own value (spread after them) wins.
  const defaults = {
    ...pickProcessorPolicy(options),
    ...defined({
      logger: options.logger ?? nestLoggerBridge(),
      instrumentation: options.instrumentation,
      // A transport that sends counts its outbox in the module's metrics, on its own schema.
      outboxMetrics:
        transport.producer === undefined
          ? undefined
          : options.metrics?.outboxRelay(transport.schema ?? options.schema),
    }),
  };
  const supplied = { db, handlers, ...defined({ onResult, onEvent }) };
  let consumer: IdemConsumer;
  if (transport.kind === 'rocketmq-tcp') {
    const { createTcpConsumer } = await import('@idem/rocketmq-tcp');
    consumer = createTcpConsumer({ ...defaults, ...adapterOptionsOf(transport), ...supplied });
  } else {
    const { createHttpConsumer } = await import('@idem/rocketmq-http');
    consumer = createHttpConsumer({ ...defaults, ...adapterOptionsOf(transport), ...supplied });
  }
  const name = transportName(transport);
  const unwatch = options.metrics?.watchConsumer(transport.consumerGroup, consumer);
  return {
    name,
    kind: transport.kind,
    consumerGroup: transport.consumerGroup,
    start: () => consumer.start(),
    async stop() {
      try {
        await consumer.stop();
      } finally {
        unwatch?.();
      }
    },
    health: () => consumer.health(),
  };
}

/** The adapter's own options: the transport without the module's keys and hooks (combined above). */
function adapterOptionsOf<T extends IdemTransportOptions>(
  transport: T,
): Omit<T, 'kind' | 'handlers' | 'name' | 'onResult' | 'onEvent'> {
  const {
    kind: _kind,
    handlers: _handlers,
    name: _name,
    onResult: _onResult,
    onEvent: _onEvent,
    ...rest
  } = transport;
  return rest;
}

function combine<A extends unknown[]>(
  ...hooks: readonly (((...args: A) => void) | undefined)[]
): ((...args: A) => void) | undefined {
  const present = hooks.filter((hook) => hook !== undefined);
  if (present.length <= 1) return present[0];
  return (...args) => {
    for (const hook of present) hook(...args);
  };
}

/** The entries whose value is not `undefined` (exactOptionalPropertyTypes forbids passing them). */
function defined<T extends object>(object: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
