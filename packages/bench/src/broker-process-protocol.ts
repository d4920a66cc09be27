/** Which broker the bench's broker process runs: the in-repo peer, or real RocketMQ from the cached jars. */
export type BenchBrokerKind = 'peer' | 'real-broker';

/** A request from the bench to its broker process, answered by a {@link BrokerReply} of the same id. */
export type BrokerRequest = { readonly id: number } & (
  | { readonly op: 'prepare'; readonly topic: string; readonly group: string }
  | { readonly op: 'publish'; readonly topic: string; readonly prefix: string; readonly count: number }
  | { readonly op: 'idle'; readonly group: string; readonly timeoutMs: number }
  | { readonly op: 'count'; readonly topic: string }
  | { readonly op: 'stop' }
);

/** The broker process's answer: `value` for `count`, `error` when the request failed. */
export type BrokerReply =
  | { readonly id: number; readonly ok: true; readonly value?: number }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** The first message of the broker process: where clients connect, or why it could not start. */
export type BrokerReady =
  | { readonly ready: true; readonly endpoints: string }
  | { readonly ready: false; readonly error: string; readonly code: string | undefined };
