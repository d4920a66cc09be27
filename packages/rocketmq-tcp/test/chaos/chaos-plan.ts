import type { BrokerRestartKind, ChaosOptions } from './chaos-options.js';

/** One fault of a chaos run, due once `at` of the orders have been processed. */
export type ChaosFault = { readonly at: number } & (
  | { readonly kind: 'broker'; readonly mode: BrokerRestartKind }
  | { readonly kind: 'consumer'; readonly slot: number }
  | { readonly kind: 'postgres' }
);

/**
 * The faults of a run in order: broker, consumer and Postgres faults taken in turn (so no two
 * broker restarts follow each other while others are left), spread evenly between
 * `firstFaultAt` and `lastFaultAt`. Broker restarts cycle through the kinds; consumer kills
 * through the slots.
 */
export function planChaosFaults(options: ChaosOptions): ChaosFault[] {
  const left = {
    broker: options.brokerRestarts,
    consumer: options.consumerKills,
    postgres: options.postgresRestarts,
  };
  const order: ('broker' | 'consumer' | 'postgres')[] = [];
  while (left.broker + left.consumer + left.postgres > 0) {
    for (const kind of ['broker', 'consumer', 'postgres'] as const) {
      if (left[kind] > 0) {
        order.push(kind);
        left[kind] -= 1;
      }
    }
  }
  const step = order.length > 1 ? (options.lastFaultAt - options.firstFaultAt) / (order.length - 1) : 0;
  let brokers = 0;
  let consumers = 0;
  return order.map((kind, index) => {
    const at = options.firstFaultAt + step * index;
    if (kind === 'broker') {
      const kinds = options.brokerRestartKinds.length > 0 ? options.brokerRestartKinds : (['kill'] as const);
      const mode = kinds[brokers++ % kinds.length] ?? 'kill';
      return { at, kind, mode };
    }
    if (kind === 'consumer') return { at, kind, slot: consumers++ % Math.max(1, options.consumers) };
    return { at, kind };
  });
}
