import type { Socket } from 'node:net';
import { MqHttpPeerError } from './mq-http-peer-error.js';
import type { MqHttpOutageMode, PeerCounters } from './peer-stats.js';

/** Options of `MqHttpPeer.outage()`. */
export interface MqHttpOutageOptions {
  /** How long the outage lasts, in ms (it can be ended earlier with `MqHttpOutage.end()`). */
  readonly ms: number;
  readonly mode: MqHttpOutageMode;
  /**
   * Body of the `503` answers. `html` (the default) is what a load balancer in front of the
   * service sends: the SDK then resolves `{ code: 503 }` for publish and ack, and consume throws
   * a TypeError. `xml` is an `<Error>` with code ServiceUnavailable: the SDK throws it.
   */
  readonly body?: 'html' | 'xml';
}

/** A running outage. */
export interface MqHttpOutage {
  readonly mode: MqHttpOutageMode;
  /**
   * Resolves once the fault is fully in place: for `refuse` the port is closed, and for
   * `refuse` and `reset` the open connections are dropped and a client in this process has
   * seen them close, so its next request fails the intended way (ECONNREFUSED) instead of on a
   * stale keep-alive socket (ECONNRESET), as it would right after `outage()` returns.
   */
  readonly started: Promise<void>;
  /**
   * Resolves when the outage is over and the peer serves again on the same port (`hang`
   * connections are dropped then). Rejects with `RELISTEN_FAILED` if the port was taken.
   */
  readonly ended: Promise<void>;
  /** Ends the outage now; resolves like {@link MqHttpOutage.ended}. */
  end(): Promise<void>;
}

/** What an outage acts on: the peer's server and connections. */
export interface OutageTarget {
  readonly sockets: ReadonlySet<Socket>;
  readonly counters: PeerCounters;
  /** Aborts the requests in progress; their handlers then answer as the outage mode says. */
  interruptRequests(): void;
  stopListening(): Promise<void>;
  listenAgain(): Promise<void>;
}

interface ActiveOutage {
  readonly mode: MqHttpOutageMode;
  readonly body: 'html' | 'xml';
  readonly held: Set<Socket>;
  readonly timer: NodeJS.Timeout;
  readonly started: Promise<void>;
  readonly ended: Promise<void>;
  readonly resolveEnded: () => void;
  readonly rejectEnded: (error: Error) => void;
  finishing: Promise<void> | undefined;
}

const MODES: readonly MqHttpOutageMode[] = ['refuse', 'reset', '503', 'hang'];

/** Runs one outage at a time against the peer's server; see {@link MqHttpOutageOptions}. */
export class OutageController {
  private active: ActiveOutage | undefined;

  constructor(private readonly target: OutageTarget) {}

  /** The mode of the outage in progress, if any. */
  get mode(): MqHttpOutageMode | undefined {
    return this.active?.mode;
  }

  /** Body kind of `503` answers of the outage in progress. */
  get unavailableBody(): 'html' | 'xml' {
    return this.active?.body ?? 'html';
  }

  start(options: MqHttpOutageOptions): MqHttpOutage {
    if (!MODES.includes(options.mode)) {
      throw new MqHttpPeerError(
        'INVALID_OPTIONS',
        `outage mode must be one of ${MODES.join(', ')}, got ${String(options.mode)}`,
      );
    }
    if (!Number.isFinite(options.ms) || options.ms < 0) {
      throw new MqHttpPeerError(
        'INVALID_OPTIONS',
        `outage ms must be a finite number >= 0, got ${options.ms}`,
      );
    }
    if (this.active !== undefined) {
      throw new MqHttpPeerError('OUTAGE_IN_PROGRESS', `a ${this.active.mode} outage is already in progress`);
    }
    let resolveEnded = (): void => {};
    let rejectEnded = (_error: Error): void => {};
    const ended = new Promise<void>((resolve, reject) => {
      resolveEnded = resolve;
      rejectEnded = reject;
    });
    // A caller may never look at these promises; a rejection must not become unhandled.
    ended.catch(() => {});
    const started = this.begin(options.mode);
    started.catch(() => {});
    const active: ActiveOutage = {
      mode: options.mode,
      body: options.body ?? 'html',
      held: new Set(),
      // Not unref'ed: while `refuse` keeps the port closed, nothing else may hold the process.
      timer: setTimeout(() => {
        this.finish(active, true).catch(() => {});
      }, options.ms),
      started,
      ended,
      resolveEnded,
      rejectEnded,
      finishing: undefined,
    };
    this.active = active;
    this.target.counters.outages += 1;
    return { mode: active.mode, started, ended, end: () => this.finish(active, true) };
  }

  /** Keeps a `hang` request's connection unanswered until the outage ends. */
  hold(socket: Socket): void {
    if (this.active === undefined) socket.destroy();
    else this.active.held.add(socket);
  }

  /** Ends any outage without listening again: the peer is stopping. */
  async shutdown(): Promise<void> {
    if (this.active !== undefined) await this.finish(this.active, false);
  }

  private async begin(mode: MqHttpOutageMode): Promise<void> {
    if (mode === '503' || mode === 'hang') {
      this.target.interruptRequests();
      return;
    }
    const closing: Promise<void>[] = [];
    if (mode === 'refuse') closing.push(this.target.stopListening());
    const closed = [...this.target.sockets].map(async (socket) => {
      this.target.counters.failedRequests[mode] += 1;
      const done = new Promise((resolve) => socket.once('close', resolve));
      if (mode === 'reset') socket.resetAndDestroy();
      else socket.destroy();
      await done;
    });
    await Promise.all([...closing, ...closed]);
    // The client's side of each dropped connection is closed by its own event loop a turn later.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await new Promise((resolve) => setImmediate(resolve));
  }

  private async finish(active: ActiveOutage, serveAgain: boolean): Promise<void> {
    active.finishing ??= (async () => {
      clearTimeout(active.timer);
      await active.started.catch(() => {});
      try {
        if (active.mode === 'refuse' && serveAgain) await this.target.listenAgain();
      } catch (error) {
        active.rejectEnded(
          new MqHttpPeerError(
            'RELISTEN_FAILED',
            'could not listen again on the port after the refuse outage',
            {
              cause: error,
            },
          ),
        );
        return;
      } finally {
        for (const socket of active.held) socket.destroy();
        if (this.active === active) this.active = undefined;
      }
      active.resolveEnded();
    })();
    await active.finishing;
    await active.ended;
  }
}
