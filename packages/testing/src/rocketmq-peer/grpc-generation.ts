import type { Socket } from 'node:net';
import { type ConnectionInjector, Server, ServerCredentials, type ServiceDefinition } from '@grpc/grpc-js';
import { ClientSessions } from './client-sessions.js';
import { handleReceiveMessage } from './receive-message-handler.js';
import type { ServiceContext } from './service-context.js';
import { handleTelemetry } from './telemetry-handler.js';
import { TimerSet } from './timer-set.js';
import { unaryHandlers } from './unary-handlers.js';

/** The parts of a {@link ServiceContext} that outlive a restart. */
export type DurableContext = Omit<ServiceContext, 'sessions' | 'timers' | 'alive' | 'telemetryStreams'>;

/** How long `stop()` waits for completed Telemetry streams to reach the clients. */
const TELEMETRY_FLUSH_MS = 200;

/**
 * One life of the gRPC server between two restarts: a grpc-js server fed with the sockets the
 * listener accepts, with its own client sessions and timers. `crash()` ends it at once, as a
 * killed broker process ends: nothing of it answers or changes state afterwards.
 */
export class GrpcGeneration {
  readonly #server = new Server();
  readonly #injector: ConnectionInjector;
  readonly #timers = new TimerSet();
  readonly #telemetryStreams: ServiceContext['telemetryStreams'] = new Set();
  #alive = true;

  constructor(service: ServiceDefinition, durable: DurableContext) {
    const context: ServiceContext = {
      ...durable,
      sessions: new ClientSessions(),
      timers: this.#timers,
      telemetryStreams: this.#telemetryStreams,
      alive: () => this.#alive,
    };
    this.#server.addService(service, {
      ...unaryHandlers(context),
      ReceiveMessage: handleReceiveMessage(context),
      Telemetry: handleTelemetry(context),
    });
    this.#injector = this.#server.createConnectionInjector(ServerCredentials.createInsecure());
  }

  accept(socket: Socket): void {
    if (this.#alive) this.#injector.injectConnection(socket);
    else socket.destroy();
  }

  /**
   * Completes every open Telemetry stream with gRPC OK, waits briefly for that to reach the
   * clients, then crashes. A client that already shut down has removed its stream listeners
   * (`TelemetrySession.release()` calls `removeAllListeners()` right after `end()`): a reset stream would reach it as an uncaught CANCELLED error, a completed
   * one does not.
   */
  async stopGracefully(): Promise<void> {
    const streams = [...this.#telemetryStreams];
    for (const stream of streams) if (!stream.cancelled && stream.writable) stream.end();
    const giveUpAt = Date.now() + TELEMETRY_FLUSH_MS;
    while (this.#telemetryStreams.size > 0 && Date.now() < giveUpAt) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    this.crash();
  }

  /** Ends every call and timer of this generation; the listener resets the sockets. */
  crash(): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#timers.clearAll();
    this.#injector.destroy();
    this.#server.forceShutdown();
  }
}
