import { IdemError } from '@idem/core';
import { readConsumerMetadata } from '@idem/core/integration';
import type { IdemTransportOptions } from './idem-module-options.js';

/**
 * Splits the discovered handler instances among the transports: each transport gets the classes
 * it names in `handlers`, else those of its consumer group (and those naming no group) that no
 * transport names. Fails
 * fast when a transport would serve nothing or a handler would be served by no transport: a
 * handler that silently never runs is worse than an application that does not start.
 */
export function assignHandlers(
  transports: readonly IdemTransportOptions[],
  handlers: readonly object[],
): object[][] {
  if (transports.length === 0) {
    throw new IdemError('INVALID_CONFIGURATION', 'IdemModule needs at least one transport in `transports`');
  }
  // A class some transport names explicitly is that transport's alone.
  const named = new Set(transports.flatMap((transport) => transport.handlers ?? []));
  const served = new Set<object>();
  const assigned = transports.map((transport) => {
    const mine = handlers.filter((handler) =>
      transport.handlers === undefined
        ? !named.has(handler.constructor as never) &&
          [undefined, transport.consumerGroup].includes(readConsumerMetadata(handler.constructor)?.group)
        : transport.handlers.some((type) => handler.constructor === type),
    );
    if (mine.length === 0) {
      throw new IdemError(
        'INVALID_CONFIGURATION',
        `transport ${transportName(transport)} has no handlers: register a @Consumer({ group: '${transport.consumerGroup}' }) class as a provider, or list classes in its \`handlers\``,
      );
    }
    for (const handler of mine) served.add(handler);
    return mine;
  });
  const unserved = handlers.filter((handler) => !served.has(handler));
  if (unserved.length > 0) {
    const names = unserved.map((handler) => handler.constructor.name).join(', ');
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `no transport serves ${names}: add a transport for its consumer group, or name the class in a transport's \`handlers\``,
    );
  }
  return assigned;
}

/** The name of a transport in errors and health reports. */
export function transportName(transport: IdemTransportOptions): string {
  return transport.name ?? `${transport.kind}:${transport.consumerGroup}`;
}
