import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { raceAbort } from '@idem/core/adapter';

const require = createRequire(import.meta.url);

/** A gRPC call as grpc-js returns it: `cancel()` ends it with CANCELLED and clears its deadline timer. */
interface CancellableCall {
  cancel(): void;
}

/** The gRPC calls one receive opened, and whether its signal aborted. */
interface ReceiveScope {
  aborted: boolean;
  readonly calls: CancellableCall[];
}

const scopes = new AsyncLocalStorage<ReceiveScope>();
let installed = false;

/**
 * Runs `receive` (a `SimpleConsumer.receive`) until it resolves or `signal` aborts; on abort it
 * resolves `[]` at once and cancels the ReceiveMessage gRPC calls that receive opened.
 *
 * Why the gRPC call itself: rocketmq-client-nodejs 1.0.8 takes no signal, and its long poll is a
 * grpc-js call with a deadline of `requestTimeout + awaitDuration`. Left running, the call keeps
 * its socket and its deadline timer, so a stopped consumer's process lived on until the broker
 * answered or the deadline passed (8-13 s). `shutdown()` does not help: grpc-js `Client.close()`
 * lets calls in flight run to their end. The client keeps its grpc `Client` in a private field,
 * so the call object is reached where it is created: `MessagingServiceClient.prototype
 * .receiveMessage`, wrapped once per process, records each call in the receive that is running
 * (an AsyncLocalStorage scope, which follows the client's awaits down to the call). Calls made
 * outside such a scope (other clients in the process) are left alone. If a client upgrade makes
 * this stop working, test/rocketmq-tcp-source.test.ts (the broker's long poll stays open) and
 * the child processes of test/tcp-consumer-exit.test.ts (they live on after stop()) fail.
 */
export async function receiveUntilAborted<T>(receive: () => Promise<T[]>, signal: AbortSignal): Promise<T[]> {
  if (signal.aborted) return [];
  installCallRecorder();
  const scope: ReceiveScope = { aborted: false, calls: [] };
  return raceAbort(scopes.run(scope, receive), signal, (): T[] => {
    scope.aborted = true;
    for (const call of scope.calls) call.cancel();
    return [];
  });
}

function installCallRecorder(): void {
  if (installed) return;
  installed = true;
  const service = require('rocketmq-client-nodejs/proto/apache/rocketmq/v2/service_grpc_pb') as {
    MessagingServiceClient: { prototype: { receiveMessage(this: unknown, ...args: unknown[]): unknown } };
  };
  const prototype = service.MessagingServiceClient.prototype;
  const openCall = prototype.receiveMessage;
  prototype.receiveMessage = function recordedReceiveMessage(this: unknown, ...args: unknown[]) {
    const call = openCall.apply(this, args);
    const scope = scopes.getStore();
    if (scope !== undefined && isCancellable(call)) {
      // The client retries some failures after a pause: a call opened after the abort ends at once.
      if (scope.aborted) call.cancel();
      else scope.calls.push(call);
    }
    return call;
  };
}

function isCancellable(call: unknown): call is CancellableCall {
  return typeof call === 'object' && call !== null && typeof (call as CancellableCall).cancel === 'function';
}
