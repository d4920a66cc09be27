import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ConsumerHealth } from '../consumer/consumer-health.js';
import { IdemError } from '../errors.js';
import { judgeConsumers } from './judge-consumers.js';

/** A consumer the health server watches: anything with `health()`, named for the reports. */
export interface HealthServerConsumer {
  health(): ConsumerHealth;
  /** Shown in the probe bodies. Default the consumer group of `processor`, else `consumer-<n>`. */
  readonly name?: string;
  /** The adapters' consumers carry their processor; its consumer group names them. */
  readonly processor?: { readonly consumerGroup: string };
}

/** A metrics registry, structurally: prom-client's `Registry` fits. */
export interface MetricsRegistry {
  metrics(): Promise<string>;
  readonly contentType: string;
}

/** Options of {@link startHealthServer}. */
export interface HealthServerOptions {
  /** The port to listen on; 0 picks a free one (see {@link HealthServer.port}). */
  readonly port: number;
  /** The address to listen on. Default every interface (probes come to the pod's address). */
  readonly host?: string;
  /** The consumers to judge: a list, or a function called at every probe. */
  readonly consumers: readonly HealthServerConsumer[] | (() => readonly ConsumerHealth[]);
  /** Served at `/metrics` when given. */
  readonly registry?: MetricsRegistry;
}

/** A running health server. */
export interface HealthServer {
  /** The port it listens on. */
  readonly port: number;
  /** Closes the server and its open connections. Safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Starts a tiny HTTP server (node:http, nothing else) for probes and scrapes:
 * - `GET /healthz` (liveness): 200 while no consumer has stopped, else 503.
 * - `GET /readyz` (readiness): 200 when every consumer is running with broker and database
 *   reachable, else 503; the JSON body says which consumer is not ready and why.
 * - `GET /metrics`: the registry's Prometheus text, when a registry was given.
 *
 * Stop it before stopping consumers on purpose, or liveness reports them stopped.
 *
 * @throws IdemError `STARTUP_FAILED` when the port cannot be listened on.
 * @example
 * ```ts
 * const health = await startHealthServer({ port: 9464, consumers: [consumer], registry: metrics.registry });
 * ```
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((request, response) => {
    handle(request, response, options).catch((error: unknown) => {
      send(response, 500, { error: error instanceof Error ? error.message : String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new IdemError(
          'STARTUP_FAILED',
          `the health server could not listen on ${options.host ?? '*'}:${options.port}: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    if (options.host === undefined) server.listen(options.port, resolve);
    else server.listen(options.port, options.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  let stopping: Promise<void> | undefined;
  return {
    port,
    async stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await stopping;
    },
  };
}

async function handle(request: IncomingMessage, response: ServerResponse, options: HealthServerOptions) {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.setHeader('allow', 'GET, HEAD');
    send(response, 405, { error: `${request.method} is not allowed; use GET` });
    return;
  }
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (path === '/healthz' || path === '/readyz') {
    const verdict = judgeConsumers(healthOf(options.consumers));
    const ok = path === '/healthz' ? verdict.live : verdict.ready;
    send(response, ok ? 200 : 503, verdict);
  } else if (path === '/metrics' && options.registry !== undefined) {
    const text = await options.registry.metrics();
    response.writeHead(200, { 'content-type': options.registry.contentType });
    response.end(request.method === 'HEAD' ? undefined : text);
  } else {
    send(response, 404, { error: `no such endpoint: ${path}` });
  }
}

function healthOf(consumers: HealthServerOptions['consumers']): { name: string; health: ConsumerHealth }[] {
  if (typeof consumers === 'function') {
    return consumers().map((health, index) => ({ name: `consumer-${index + 1}`, health }));
  }
  return consumers.map((consumer, index) => ({
    name: consumer.name ?? consumer.processor?.consumerGroup ?? `consumer-${index + 1}`,
    health: consumer.health(),
  }));
}

function send(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  });
  response.end(response.req.method === 'HEAD' ? undefined : text);
}
