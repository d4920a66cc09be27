import { connect, createServer, type Socket } from 'node:net';

/** What the proxy does with the bytes of its connections. */
export type BlackholeProxyMode = 'pass' | 'blackhole';

/** What becomes of the connections a blackhole starved, once it ends. */
export type StarvedConnections = 'resume' | 'stay-dead';

/** Options of {@link startBlackholeProxy}. */
export interface BlackholeProxyOptions {
  /** `host:port` of the server behind the proxy, on the loopback interface. */
  readonly target: string;
  /** Port to listen on (127.0.0.1 only); a free one by default. */
  readonly port?: number;
  /** Connections held at once; further ones are reset. Default 256. */
  readonly maxConnections?: number;
}

/** Options of {@link BlackholeProxy.blackhole}. */
export interface BlackholeOptions {
  /**
   * `resume` (default): connections carry their held bytes on once the fault ends, as TCP does
   * after a short loss of packets. `stay-dead`: connections open before or during the fault
   * never carry anything again (a NAT or load balancer forgot them), only new ones work.
   */
  readonly starved?: StarvedConnections;
}

/** Counts for assertions and logs. */
export interface BlackholeProxyStats {
  readonly accepted: number;
  readonly open: number;
  /** Open connections that will never carry bytes again. */
  readonly dead: number;
  readonly refused: number;
}

/** A TCP proxy between a client and a server that can silently stop carrying bytes. */
export interface BlackholeProxy {
  /** `127.0.0.1:port`: give this to the client instead of the server's address. */
  readonly endpoints: string;
  readonly host: string;
  readonly port: number;
  readonly mode: BlackholeProxyMode;
  /**
   * Starts a silent network failure: every connection, open or new, stays open and carries
   * nothing; no FIN, no RST. New connections are accepted (the proxy's kernel answers SYN).
   */
  blackhole(options?: BlackholeOptions): void;
  /** Ends the failure: new connections work; starved ones resume or stay dead (see {@link BlackholeOptions}). */
  pass(): void;
  stats(): BlackholeProxyStats;
  /** Closes the listener and destroys every connection. */
  stop(): Promise<void>;
}

interface Link {
  readonly client: Socket;
  readonly upstream: Socket | undefined;
  starved: boolean;
  dead: boolean;
  upstreamClosed: boolean;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost)$/;

/**
 * Starts a loopback TCP proxy that reproduces silent network failures (no RST, no FIN: packets
 * just stop), which no broker peer's own faults can: a dropped NAT entry, a host gone mid-upgrade.
 * Clients see sockets that stay open and answer nothing, so only their own timeouts and
 * keepalives can tell. Pure socket code; it never reads more than the sockets hand it.
 *
 * @example
 * ```ts
 * import { startBlackholeProxy } from '@idem/testing';
 * const proxy = await startBlackholeProxy({ target: '127.0.0.1:8081' });
 * proxy.blackhole({ starved: 'stay-dead' }); // connections go silent and never come back
 * proxy.pass(); // new connections work again
 * await proxy.stop();
 * ```
 */
export async function startBlackholeProxy(options: BlackholeProxyOptions): Promise<BlackholeProxy> {
  const [targetHost, targetPortText] = splitHostPort(options.target);
  const targetPort = Number(targetPortText);
  if (!LOOPBACK.test(targetHost) || !Number.isInteger(targetPort) || targetPort < 1) {
    throw new Error(`target must be a loopback host:port, got ${JSON.stringify(options.target)}`);
  }
  const maxConnections = options.maxConnections ?? 256;
  const links = new Set<Link>();
  let mode: BlackholeProxyMode = 'pass';
  let starvedPolicy: StarvedConnections = 'resume';
  let accepted = 0;
  let refused = 0;

  const starve = (link: Link): void => {
    link.starved = true;
    if (starvedPolicy === 'stay-dead') {
      kill(link);
      return;
    }
    // Unread bytes stay in the kernel's buffers, as unacknowledged packets wait for retransmission.
    link.client.pause();
    link.upstream?.pause();
  };

  const server = createServer((client) => {
    accepted += 1;
    if (links.size >= maxConnections) {
      refused += 1;
      client.resetAndDestroy();
      return;
    }
    // A connection made during a stay-dead fault never reaches the server.
    const upstream =
      mode === 'blackhole' && starvedPolicy === 'stay-dead' ? undefined : connect(targetPort, targetHost);
    const link: Link = { client, upstream, starved: false, dead: false, upstreamClosed: false };
    links.add(link);
    const close = (): void => {
      links.delete(link);
      client.destroy();
      upstream?.destroy();
    };
    client.on('error', close).on('close', close);
    // The server's FIN or RST crosses a silent network no more than data does: a dead link's
    // client never learns of it, a starved one only once the fault ends.
    const upstreamClosed = (): void => {
      link.upstreamClosed = true;
      if (!link.starved) close();
    };
    upstream?.on('error', upstreamClosed).on('close', upstreamClosed);
    if (upstream !== undefined) {
      forward(client, upstream, link);
      forward(upstream, client, link);
    }
    if (mode === 'blackhole') starve(link);
    else if (upstream === undefined) kill(link);
  });
  server.maxConnections = maxConnections + 1;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the proxy has no TCP address');
  const port = address.port;

  return {
    endpoints: `127.0.0.1:${port}`,
    host: '127.0.0.1',
    port,
    get mode() {
      return mode;
    },
    blackhole(blackholeOptions = {}) {
      mode = 'blackhole';
      starvedPolicy = blackholeOptions.starved ?? 'resume';
      for (const link of links) if (!link.dead) starve(link);
    },
    pass() {
      mode = 'pass';
      for (const link of links) {
        if (link.dead || !link.starved) continue;
        link.starved = false;
        if (link.upstreamClosed) {
          link.client.destroy();
          continue;
        }
        link.client.resume();
        link.upstream?.resume();
      }
    },
    stats() {
      let dead = 0;
      for (const link of links) if (link.dead) dead += 1;
      return { accepted, open: links.size, dead, refused };
    },
    async stop() {
      for (const link of links) {
        link.client.destroy();
        link.upstream?.destroy();
      }
      links.clear();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Copies `from` to `to` while the link carries bytes, with backpressure. */
function forward(from: Socket, to: Socket, link: Link): void {
  from.on('data', (chunk: Buffer) => {
    if (link.starved || link.dead) return;
    if (!to.write(chunk)) {
      from.pause();
      to.once('drain', () => {
        if (!link.starved && !link.dead) from.resume();
      });
    }
  });
  from.on('end', () => {
    if (!link.starved && !link.dead) to.end();
  });
}

/** The link never carries a byte again: what arrives is read and dropped, so closes are still seen. */
function kill(link: Link): void {
  link.dead = true;
  link.starved = true;
  link.client.resume();
  link.upstream?.resume();
}

function splitHostPort(endpoints: string): [string, string] {
  const colon = endpoints.lastIndexOf(':');
  return colon < 0 ? [endpoints, ''] : [endpoints.slice(0, colon), endpoints.slice(colon + 1)];
}
