import type { Logger, MessageProducer } from '@idem/core';

/** Options of {@link BrokerUnderTest.startProducer}, in the words both adapters share. */
export interface ProducerUnderTestOptions {
  readonly retryForMs?: number;
  readonly logger?: Logger;
}

/**
 * One adapter's protocol peer as the scenarios both adapters share see it. Each adapter's
 * test/support builds one from its own peer (the RocketMQ gRPC peer, the ApsaraMQ HTTP peer):
 * the peers differ in names, keys and fault kinds, not in what the scenarios assert.
 */
export interface BrokerUnderTest {
  /** The adapter, for titles and log lines: `TCP`, `HTTP`. */
  readonly adapter: string;
  /** Environment that points the adapter's fixture processes (test/fixtures/*.ts) at the peer. */
  readonly env: Readonly<Record<string, string>>;
  /** A consumer group name the broker accepts for `role` (ApsaraMQ wants a `GID_` prefix). */
  groupOf(role: string): string;
  /** Publishes `count` text messages to `topic`, keyed `<prefix>-<n>`, as an upstream service would. */
  publish(topic: string, prefix: string, count: number): void;
  /** The first key of each message stored on `topic`, in the order it was stored. */
  storedKeys(topic: string): string[];
  /**
   * Takes the broker down for `ms`, refusing connections: `down` resolves once it refuses,
   * `up` once it serves again.
   */
  outage(ms: number): { readonly down: Promise<void>; readonly up: Promise<void> };
  /** Starts the adapter's producer on the peer (retries capped at 500 ms apart); the caller stops it. */
  startProducer(options?: ProducerUnderTestOptions): Promise<MessageProducer>;
  stop(): Promise<void>;
}

/** Options of {@link AdapterUnderTest.startBroker}. */
export interface BrokerUnderTestOptions {
  /** The only topics the peer knows; any topic by default. */
  readonly topics?: readonly string[];
}

/** How an adapter's tests start a fresh {@link BrokerUnderTest}. */
export interface AdapterUnderTest {
  readonly name: string;
  /** The adapter package's directory: its fixture processes run there. */
  readonly packageDir: URL;
  startBroker(options?: BrokerUnderTestOptions): Promise<BrokerUnderTest>;
}
