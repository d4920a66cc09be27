import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchBrokerKind, BrokerReady, BrokerReply, BrokerRequest } from './broker-process-protocol.js';

// Distributes Omit over the request union, so each operation keeps its own fields.
type RequestBody = BrokerRequest extends infer R ? (R extends BrokerRequest ? Omit<R, 'id'> : never) : never;

/**
 * The broker a bench row consumes from, running in its own process (`broker-process.ts`): the
 * RocketMQ peer or a real RocketMQ broker. Every row publishes its orders through it.
 */
export interface BenchBroker {
  readonly kind: BenchBrokerKind;
  /** `host:port` of the gRPC endpoint the consumers connect to. */
  readonly endpoints: string;
  /** Creates the topic and the group where the broker needs them (the real broker). */
  prepare(topic: string, group: string): Promise<void>;
  /** Publishes `count` bench orders to `topic`, ids `<prefix>-<n>`, the order id as the key. */
  publishOrders(topic: string, prefix: string, count: number): Promise<void>;
  /**
   * Resolves once `group` acked every message of its topics. Only the peer can tell; rows on the
   * real broker wait on what their consumer wrote instead.
   */
  readonly idle: ((group: string, timeoutMs: number) => Promise<void>) | undefined;
  /** Messages stored on `topic` (the peer only). */
  count(topic: string): Promise<number>;
  stop(): Promise<void>;
}

/** Error of a broker process that could not start; `code` is the launcher's (e.g. `JARS_UNAVAILABLE`). */
export class BenchBrokerStartError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'BenchBrokerStartError';
  }
}

/**
 * Starts `broker-process.ts` in a child Node process and resolves once its broker takes clients.
 * `heapMiB` raises the child's heap limit: the peer keeps every message it stored.
 */
export async function startBenchBroker(kind: BenchBrokerKind, heapMiB?: number): Promise<BenchBroker> {
  const heap = heapMiB === undefined ? [] : [`--max-old-space-size=${heapMiB}`];
  const child = fork(fileURLToPath(new URL('./broker-process.ts', import.meta.url)), [kind], {
    execArgv: [...heap, '--conditions=@idem/source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<
    number,
    { resolve: (reply: BrokerReply) => void; reject: (error: Error) => void }
  >();
  let nextId = 0;
  let exited = false;
  const ready = new Promise<BrokerReady>((resolve, reject) => {
    child.once('message', (message: BrokerReady) => resolve(message));
    child.once('exit', (code) =>
      reject(new BenchBrokerStartError(`broker process exited with ${code}`, undefined)),
    );
  });
  child.on('message', (message: BrokerReply | BrokerReady) => {
    if (!('id' in message)) return;
    pending.get(message.id)?.resolve(message);
    pending.delete(message.id);
  });
  child.on('exit', (code) => {
    exited = true;
    for (const waiter of pending.values()) waiter.reject(new Error(`broker process exited with ${code}`));
    pending.clear();
  });
  const started = await ready;
  if (!started.ready) throw new BenchBrokerStartError(started.error, started.code);

  const call = async (body: RequestBody): Promise<number | undefined> => {
    if (exited) throw new Error('the broker process has exited');
    const id = nextId++;
    const reply = await new Promise<BrokerReply>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      child.send({ ...body, id } satisfies BrokerRequest);
    });
    if (!reply.ok) throw new Error(`broker process, ${body.op}: ${reply.error}`);
    return reply.value;
  };
  const prepared = new Set<string>();
  return {
    kind,
    endpoints: started.endpoints,
    async prepare(topic, group) {
      // The real broker's admin tool takes seconds per call: each topic and group once per run.
      const key = `${topic}\n${group}`;
      if (prepared.has(key)) return;
      await call({ op: 'prepare', topic, group });
      prepared.add(key);
    },
    publishOrders: async (topic, prefix, count) => void (await call({ op: 'publish', topic, prefix, count })),
    idle:
      kind === 'peer'
        ? async (group, timeoutMs) => void (await call({ op: 'idle', group, timeoutMs }))
        : undefined,
    count: async (topic) => (await call({ op: 'count', topic })) ?? 0,
    async stop() {
      if (exited) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      await call({ op: 'stop' }).catch(() => {});
      child.disconnect();
      await gone;
    },
  };
}
