import type { Metadata, ServerDuplexStream } from '@grpc/grpc-js';
import type { BrokerModel } from './broker-model.js';
import type { ClientSessions } from './client-sessions.js';
import type { FaultSettings } from './fault-settings.js';
import type { PeerConfig } from './peer-config.js';
import type { TimerSet } from './timer-set.js';
import type { TelemetryCommand, WireEndpoints } from './wire-types.js';

/** Everything a gRPC handler of one server generation works with. */
export interface ServiceContext {
  readonly model: BrokerModel;
  readonly sessions: ClientSessions;
  readonly faults: FaultSettings;
  readonly timers: TimerSet;
  readonly config: PeerConfig;
  /** The peer's address as routes advertise it. */
  readonly endpoints: WireEndpoints;
  /** `host:port`, the `store_host` of deliveries. */
  readonly storeHost: string;
  /** The open Telemetry streams, so that `stop()` can complete them before closing the sockets. */
  readonly telemetryStreams: Set<ServerDuplexStream<TelemetryCommand, TelemetryCommand>>;
  /** False once this generation crashed (restart) or stopped: late continuations must leave state alone. */
  alive(): boolean;
}

/** The `x-mq-client-id` header every call of the client carries; undefined when missing. */
export function clientIdOf(metadata: Metadata): string | undefined {
  const value = metadata.get('x-mq-client-id')[0];
  const id = typeof value === 'string' ? value : value?.toString('utf8');
  return id === undefined || id === '' ? undefined : id;
}

/** Waits out the `delay(ms)` fault before a response goes out. */
export async function responseDelay(context: ServiceContext): Promise<void> {
  const ms = context.faults.delayMs;
  if (ms > 0) await context.timers.sleep(ms);
}
