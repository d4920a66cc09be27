import type { ChannelCredentials, ChannelOptions } from '@grpc/grpc-js';
import { RenewableChannel } from './renewable-channel.js';

interface SharedChannel {
  readonly channel: RenewableChannel;
  users: number;
}

/** A channel in use by one client; `release` once the client is closed. */
export interface ChannelLease {
  readonly channel: RenewableChannel;
  release(): void;
}

/**
 * One {@link RenewableChannel} per target, credentials kind and options, shared by the gRPC
 * clients that use it and closed when the last of them is.
 *
 * Why: rocketmq-client-nodejs 1.0.8 keys its RpcClients by the `Endpoints` object of a route,
 * and its route refresh builds new `Endpoints` objects every 30 s, so it creates a new RpcClient
 * (with a new channel: name resolver, load balancer, channelz entries, a connectivity watch) for
 * the same broker every 30 s and closes each only after 30 idle minutes. A consumer held about
 * 60 channels per broker address and its heap grew for its first half hour. Shared, the extra
 * RpcClients are small objects and the channels stay one per address.
 */
export class SharedChannels {
  readonly #channels = new Map<string, SharedChannel>();

  constructor(private readonly connectTimeoutMs: number) {}

  /** Open channels (each shared by every client of its target). */
  get size(): number {
    return this.#channels.size;
  }

  acquire(target: string, credentials: ChannelCredentials, options: ChannelOptions): ChannelLease {
    const key = `${target}\u0000${credentials._isSecure() ? 'tls' : 'plaintext'}\u0000${JSON.stringify(options)}`;
    let shared = this.#channels.get(key);
    if (shared === undefined) {
      shared = {
        channel: new RenewableChannel(target, credentials, options, this.connectTimeoutMs),
        users: 0,
      };
      this.#channels.set(key, shared);
    }
    const entry = shared;
    entry.users += 1;
    let released = false;
    return {
      channel: entry.channel,
      release: () => {
        if (released) return;
        released = true;
        entry.users -= 1;
        if (entry.users > 0) return;
        this.#channels.delete(key);
        entry.channel.close();
      },
    };
  }
}
