import { createServer } from 'node:net';
import { RocketMQBrokerError } from './rocketmq-broker-error.js';

/** The ports one name server plus one proxy-with-broker listen on. */
export interface BrokerPorts {
  readonly namesrv: number;
  /** Broker remoting port; the broker also binds `brokerListen - 2` (fast/VIP) and `brokerListen + 1` (HA). */
  readonly brokerListen: number;
  /** Proxy gRPC port: what the Node client connects to. */
  readonly grpc: number;
  /** Proxy remoting port (for remoting-protocol clients). */
  readonly remoting: number;
}

// Below Linux's (32768-60999) and macOS's (49152-65535) ephemeral ranges: the kernel never hands
// these out to outgoing connections or to listen(0), so a port stays ours across a restart.
const RANGE_START = 20_000;
const RANGE_END = 32_000;

/**
 * Picks free ports for a broker, outside the ephemeral range, checked by binding each on every
 * interface (the JVMs bind the wildcard address). Fails with `PORT_IN_USE` after many tries.
 */
export async function allocateBrokerPorts(): Promise<BrokerPorts> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = RANGE_START + Math.floor(Math.random() * (RANGE_END - RANGE_START - 8));
    // One compact block: namesrv, fast (listen-2), -, listen, HA (listen+1), grpc, remoting.
    const ports: BrokerPorts = { namesrv: base, brokerListen: base + 3, grpc: base + 5, remoting: base + 6 };
    if (await allFree([ports.namesrv, ...boundPorts(ports)])) return ports;
  }
  throw new RocketMQBrokerError(
    'PORT_IN_USE',
    `found no free block of ports in ${RANGE_START}-${RANGE_END} after 50 tries; is the machine running many brokers?`,
  );
}

/** Ports the broker binds, for checks and messages. */
export function boundPorts(ports: BrokerPorts): readonly number[] {
  return [ports.brokerListen - 2, ports.brokerListen, ports.brokerListen + 1, ports.grpc, ports.remoting];
}

async function allFree(ports: readonly number[]): Promise<boolean> {
  for (const port of ports) {
    if (!(await isPortFree(port))) return false;
  }
  return true;
}

/** True when `port` can be bound on the wildcard address right now. */
export async function isPortFree(port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}
