import { createRequire } from 'node:module';
import type { ChannelCredentials, ChannelOptions, Client } from '@grpc/grpc-js';
import { SharedChannels } from './shared-channels.js';

const require = createRequire(import.meta.url);

/**
 * Channel options of every gRPC client rocketmq-client-nodejs creates once installed. The
 * client passes none (its `RpcClient` calls `new MessagingServiceClient(address, credentials)`),
 * so grpc-js runs without keepalive and with reconnect backoff growing to 120 s.
 */
export const GRPC_CHANNEL_OPTIONS: ChannelOptions = {
  // A connection that silently stopped carrying bytes is found by an unanswered ping within
  // 4 s + 2 s, instead of never (calls end at their deadlines, the connection stays in use:
  // apache/rocketmq-clients #1181). Pings go only while calls are open; consumers and producers
  // always hold their Telemetry stream, so they ping all their lives.
  'grpc.keepalive_time_ms': 4000,
  'grpc.keepalive_timeout_ms': 2000,
  // Reconnect within 0.5 s of a broker coming back (grpc-js defaults: 1 s growing x1.6 to 120 s,
  // which kept consumers waiting up to 12 s after a 30 s restart).
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 500,
};

/** A connection attempt that has not completed its HTTP/2 handshake by then is given up. */
export const GRPC_CONNECT_TIMEOUT_MS = 3000;

type ClientConstructor = new (address: string, credentials: ChannelCredentials, options?: object) => Client;

/** The channels of every gRPC client of rocketmq-client-nodejs in this process, once installed. */
export const sharedChannels = new SharedChannels(GRPC_CONNECT_TIMEOUT_MS);

let installed = false;

/**
 * Makes every gRPC client of rocketmq-client-nodejs 1.0.8 use {@link GRPC_CHANNEL_OPTIONS} on a
 * `RenewableChannel`, so that a dead connection is detected and replaced without help, and
 * the clients of one broker address share that channel ({@link SharedChannels} says why).
 * The client offers no hook for channel options, so the generated `MessagingServiceClient` it
 * looks up at each construction is replaced by a subclass that passes a `channelOverride`.
 * Installed once per process; idempotent.
 */
export function installGrpcChannelOptions(): void {
  if (installed) return;
  installed = true;
  const generated = require('rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_grpc_pb') as {
    MessagingServiceClient: ClientConstructor;
  };
  const Original = generated.MessagingServiceClient;
  generated.MessagingServiceClient = class extends Original {
    readonly #release: () => void;

    constructor(address: string, credentials: ChannelCredentials, options: object = {}) {
      const lease = sharedChannels.acquire(address, credentials, { ...GRPC_CHANNEL_OPTIONS, ...options });
      super(address, credentials, { ...options, channelOverride: lease.channel });
      this.#release = lease.release;
    }

    /** Gives the shared channel back; the last client of an address closes it. */
    override close(): void {
      this.#release();
    }
  };
}
