import type { OrderPlaced } from './chain-handlers.js';
import type { ChainRole } from './run-chain-service.js';

/**
 * What the outbox chain needs of a broker peer, implemented by each adapter's test: the two
 * peers differ in names, fault kinds and how they count, not in what the chain asserts.
 */
export interface ChainBroker {
  /** For the table: the transport and the peer. */
  readonly name: string;
  /** Environment the adapter's chain-service fixture connects with (endpoint, keys). */
  readonly serviceEnv: Readonly<Record<string, string>>;
  /** The consumer group of a service on this broker. */
  groupOf(role: ChainRole): string;
  /** Publishes one order as the upstream order service would, keyed by its order id. */
  publishOrder(order: OrderPlaced): void;
  /** Duplicate deliveries at `rate` (0 to 1) for every group from now on. */
  duplicateDeliveries(rate: number): void;
  /** What {@link ChainBroker.fault} does, for the table: `restart (5 s down)`. */
  readonly faultLabel: string;
  /** The run's broker fault (a restart, an outage); resolves once the broker serves again. */
  fault(): Promise<void>;
  /** Faults the peer itself counted (restarts, outages). */
  faultsCounted(): number;
  /** The first key of every message stored on `topic`, every copy (re-sends included). */
  storedKeys(topic: string): string[];
  /** Resolves once `group` has nothing pending on `topic` (injected duplicates included). */
  idle(group: string, topic: string, timeoutMs: number): Promise<void>;
}
