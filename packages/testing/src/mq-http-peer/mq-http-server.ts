import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { encodeError } from './encode-response-body.js';
import { handleMqRequest, XML_CONTENT_TYPE } from './handle-mq-request.js';
import { OutageController } from './outage-controller.js';
import type { PeerContext } from './peer-context.js';

const HOST = '127.0.0.1';
const RELISTEN_ATTEMPTS = 50;
const RELISTEN_PAUSE_MS = 100;

/** What a load balancer answers when the service behind it is gone. */
const UNAVAILABLE_HTML =
  '<html>\r\n<head><title>503 Service Temporarily Unavailable</title></head>\r\n<body>\r\n' +
  '<center><h1>503 Service Temporarily Unavailable</h1></center>\r\n</body>\r\n</html>\r\n';

/**
 * The node:http server of the peer: tracks every connection (so outages and `stop()` can drop
 * them), applies the outage in progress to each request, and hands the rest to
 * {@link handleMqRequest}.
 */
export class MqHttpServer {
  readonly sockets = new Set<Socket>();
  readonly outages: OutageController;
  private readonly inFlight = new Set<AbortController>();
  private readonly server: Server;
  private stopping = false;

  private constructor(
    private readonly context: PeerContext,
    readonly port: number,
  ) {
    this.server = createServer();
    this.server.on('connection', (socket) => this.onConnection(socket));
    this.server.on('request', (request, response) => this.onRequest(request, response));
    this.outages = new OutageController({
      sockets: this.sockets,
      counters: context.counters,
      interruptRequests: () => {
        for (const controller of this.inFlight) controller.abort(new Error('outage'));
      },
      stopListening: () => this.closeListener(),
      listenAgain: () => this.listenAgain(),
    });
  }

  /** Listens on 127.0.0.1:`port`. */
  static async start(context: PeerContext, port: number): Promise<MqHttpServer> {
    const server = new MqHttpServer(context, port);
    await server.listen();
    return server;
  }

  /** Closes the port, drops every connection and ends any outage; the process can then exit. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.outages.shutdown();
    for (const controller of this.inFlight) controller.abort(new Error('stopped'));
    for (const socket of this.sockets) socket.destroy();
    await this.closeListener();
  }

  private onConnection(socket: Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    if (this.outages.mode === 'reset') {
      this.context.counters.failedRequests.reset += 1;
      socket.resetAndDestroy();
    }
  }

  private onRequest(request: IncomingMessage, response: ServerResponse): void {
    this.context.counters.requests += 1;
    if (this.answeredByOutage(request, response)) return;
    const controller = new AbortController();
    this.inFlight.add(controller);
    // 'close' also follows a completed answer; aborting then is harmless.
    response.once('close', () => controller.abort(new Error('connection closed')));
    handleMqRequest(request, response, this.context, controller.signal)
      .catch(() => {
        // Aborted by an outage, by stop() or by the client leaving (or a write failed): the
        // outage in progress, if any, decides what the client gets.
        if (!this.answeredByOutage(request, response) && !response.writableEnded) request.socket.destroy();
      })
      .finally(() => this.inFlight.delete(controller));
  }

  /** Applies the outage in progress to a request; false when there is none to apply. */
  private answeredByOutage(request: IncomingMessage, response: ServerResponse): boolean {
    const mode = this.outages.mode;
    if (this.stopping || response.writableEnded || request.socket.destroyed) return false;
    const { failedRequests } = this.context.counters;
    switch (mode) {
      case 'reset':
        failedRequests.reset += 1;
        request.socket.resetAndDestroy();
        return true;
      case 'hang':
        failedRequests.hang += 1;
        this.outages.hold(request.socket);
        return true;
      case '503':
        failedRequests['503'] += 1;
        writeUnavailable(response, this.outages.unavailableBody, this.context.hostId);
        return true;
      default:
        // No outage, or `refuse` ending: the port is listening again, so serve.
        return false;
    }
  }

  private async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen(this.port, HOST, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
  }

  private async listenAgain(): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      if (this.stopping) return;
      try {
        await this.listen();
        return;
      } catch (error) {
        if (attempt >= RELISTEN_ATTEMPTS) throw error;
        await new Promise((resolve) => setTimeout(resolve, RELISTEN_PAUSE_MS));
      }
    }
  }

  private async closeListener(): Promise<void> {
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function writeUnavailable(response: ServerResponse, body: 'html' | 'xml', hostId: string): void {
  const [contentType, text] =
    body === 'html'
      ? ['text/html', UNAVAILABLE_HTML]
      : [
          XML_CONTENT_TYPE,
          encodeError({
            code: 'ServiceUnavailable',
            message: 'The service is temporarily unavailable, please try again later.',
            requestId: '',
            hostId,
          }),
        ];
  response
    .writeHead(503, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) })
    .end(text);
}
