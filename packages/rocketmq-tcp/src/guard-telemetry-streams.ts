import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let installed = false;

/**
 * Guards against rocketmq-client-nodejs 1.0.8 crashing the process: when a client shuts down it
 * ends its Telemetry stream and removes every listener at once; if the broker goes away before
 * it completed the stream, grpc-js emits 'error' on a stream with no listener, an uncaught
 * exception (`14 UNAVAILABLE`, seen against a real broker restarting). Every Telemetry stream
 * keeps a no-op error listener for its whole life. Installed once per process; idempotent.
 */
export function guardTelemetryStreams(): void {
  if (installed) return;
  installed = true;
  const rpcClientModule = require('rocketmq-client-nodejs/dist/client/RpcClient') as {
    RpcClient: { prototype: { telemetry(this: unknown, ...args: unknown[]): unknown } };
  };
  const openTelemetry = rpcClientModule.RpcClient.prototype.telemetry;
  rpcClientModule.RpcClient.prototype.telemetry = function guardedTelemetry(
    this: unknown,
    ...args: unknown[]
  ) {
    const stream = openTelemetry.apply(this, args);
    if (stream instanceof EventEmitter) {
      const ignore = (): void => {};
      const removeAllListeners = stream.removeAllListeners.bind(stream);
      stream.removeAllListeners = (...names: (string | symbol)[]) => {
        removeAllListeners(...names);
        return stream.on('error', ignore);
      };
      stream.on('error', ignore);
    }
    return stream;
  };
}
