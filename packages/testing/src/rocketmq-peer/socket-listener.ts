import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { RocketMQPeerError } from './rocketmq-peer-error.js';

/** How long `listen()` keeps trying while the port is still held (the previous listener's close). */
const LISTEN_RETRY_MS = 3000;

/**
 * The peer's TCP side, kept apart from gRPC so that faults act on real sockets: it accepts
 * connections and hands them over, can reset every open connection, and can stop listening and
 * listen again on the same port.
 */
export class SocketListener {
  readonly #host: string;
  readonly #port: number;
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  #onConnection: (socket: Socket) => void = (socket) => socket.destroy();

  constructor(host: string, port: number) {
    this.#host = host;
    this.#port = port;
  }

  /** Routes new connections to `handler` (the current gRPC server generation). */
  setConnectionHandler(handler: (socket: Socket) => void): void {
    this.#onConnection = handler;
  }

  async listen(): Promise<void> {
    const giveUpAt = Date.now() + LISTEN_RETRY_MS;
    for (;;) {
      try {
        this.#server = await this.#listenOnce();
        return;
      } catch (error) {
        const inUse = error instanceof Error && 'code' in error && error.code === 'EADDRINUSE';
        if (!inUse || Date.now() >= giveUpAt) {
          throw new RocketMQPeerError('LISTEN_FAILED', `cannot listen on ${this.#host}:${this.#port}`, {
            cause: error,
          });
        }
        await sleep(50);
      }
    }
  }

  /** Resets every open connection (TCP RST), as a network cut or a killed process would. */
  dropConnections(): void {
    for (const socket of this.#sockets) {
      // A socket the gRPC server already ended (forceShutdown closes its HTTP/2 sessions) is
      // shutting down, and Node's reset of it fails with EINVAL yet marks its handle as closing
      // without closing it: the handle is never released, and once the process has nothing else
      // left, Node spins at 100% CPU in CleanupHandles after the 'exit' event, forever. Such a
      // socket is destroyed instead (a FIN, or a RST from the kernel if data is unread).
      if (socket.writableEnded) socket.destroy();
      else socket.resetAndDestroy();
    }
    this.#sockets.clear();
  }

  /** Stops listening and resets every connection; new connections are refused until `listen()`. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    // Stop accepting first, so that no connection slips in after the reset below.
    const closed = new Promise<void>((resolve) => {
      if (server === undefined) resolve();
      else server.close(() => resolve());
    });
    this.dropConnections();
    await closed;
  }

  #listenOnce(): Promise<Server> {
    return new Promise((resolve, reject) => {
      const server = createServer({ noDelay: true }, (socket) => {
        this.#sockets.add(socket);
        socket.once('close', () => this.#sockets.delete(socket));
        // A reset seen from the other side must not become an unhandled 'error' event.
        socket.on('error', () => {});
        this.#onConnection(socket);
      });
      server.once('error', reject);
      server.listen({ host: this.#host, port: this.#port, exclusive: true }, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }
}
