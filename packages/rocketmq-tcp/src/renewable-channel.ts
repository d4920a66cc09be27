import { createRequire } from 'node:module';
import type { ChannelCredentials, ChannelOptions, Deadline } from '@grpc/grpc-js';
// The Channel interface (the package root exports only its implementation class).
import type { Channel } from '@grpc/grpc-js/build/src/channel.js';
import type { ConnectivityState } from '@grpc/grpc-js/build/src/connectivity-state.js';

// The grpc-js that rocketmq-client-nodejs loads (pnpm links the same copy for both).
const grpc = createRequire(import.meta.url)('@grpc/grpc-js') as typeof import('@grpc/grpc-js');

// grpc-js shares subchannels (and so sockets) process-wide between channels of equal target and
// options. Channels opened after a renewal carry the next generation in their options: they
// share new subchannels, never the hung one, and channels of one generation still share.
const GENERATION_OPTION = 'idem.channel_generation';
let generation = 0;

/**
 * A gRPC channel that replaces itself when a connection attempt hangs. grpc-js 1.14 has no
 * connect timeout: a TCP connection that is accepted and then answers nothing (a NAT entry or
 * load balancer that dropped it, a host gone mid-upgrade) keeps the channel CONNECTING forever,
 * queued calls end at their deadlines and no new connection is ever tried. After
 * `connectTimeoutMs` in CONNECTING, a fresh channel (new subchannels, so new sockets)
 * takes over and the old one is closed, which fails its queued calls at once with UNAVAILABLE:
 * their callers retry on the new one.
 */
export class RenewableChannel implements Channel {
  #current: Channel;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #renewals = 0;

  constructor(
    private readonly target: string,
    private readonly credentials: ChannelCredentials,
    private readonly options: ChannelOptions,
    private readonly connectTimeoutMs: number,
  ) {
    this.#current = this.#open();
  }

  /** How many times a hanging connection attempt made the channel start over. */
  get renewals(): number {
    return this.#renewals;
  }

  createCall(
    method: string,
    deadline: Deadline,
    host: string | null | undefined,
    parentCall: Parameters<Channel['createCall']>[3],
    propagateFlags: number | null | undefined,
  ): ReturnType<Channel['createCall']> {
    return this.#current.createCall(method, deadline, host, parentCall, propagateFlags);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#current.close();
  }

  getTarget(): string {
    return this.#current.getTarget();
  }

  getConnectivityState(tryToConnect: boolean): ConnectivityState {
    return this.#current.getConnectivityState(tryToConnect);
  }

  watchConnectivityState(
    currentState: ConnectivityState,
    deadline: Date | number,
    callback: (error?: Error) => void,
  ): void {
    this.#current.watchConnectivityState(currentState, deadline, callback);
  }

  getChannelzRef(): ReturnType<Channel['getChannelzRef']> {
    return this.#current.getChannelzRef();
  }

  #open(): Channel {
    const channel = new grpc.Channel(this.target, this.credentials, {
      ...this.options,
      [GENERATION_OPTION]: generation,
    });
    this.#watch(channel);
    return channel;
  }

  /** Arms the connect timer whenever the channel enters CONNECTING, disarms it on any change. */
  #watch(channel: Channel): void {
    const state = channel.getConnectivityState(false);
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (state === grpc.connectivityState.SHUTDOWN) return;
    if (state === grpc.connectivityState.CONNECTING) {
      this.#timer = setTimeout(() => this.#renew(channel), this.connectTimeoutMs);
      // A stopped client closes its channels; until then the timer must not hold the process.
      this.#timer.unref();
    }
    // No deadline: grpc-js would hold the process with a timer of its own.
    channel.watchConnectivityState(state, Number.POSITIVE_INFINITY, () => {
      if (channel === this.#current && !this.#closed) this.#watch(channel);
    });
  }

  #renew(stuck: Channel): void {
    if (this.#closed || stuck !== this.#current) return;
    if (stuck.getConnectivityState(false) !== grpc.connectivityState.CONNECTING) return;
    this.#renewals += 1;
    generation += 1;
    this.#current = this.#open();
    stuck.close();
  }
}
