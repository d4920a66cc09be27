import type { BrokerModel } from './broker-model.js';
import type { PeerCounters } from './peer-stats.js';

/**
 * What `loseAcks()` does with the handles of an ack whose answer it drops: ack them anyway
 * (`always`: the client retries and gets ReceiptHandleError), leave them (`never`: the message
 * comes back after its invisible time) or either at random.
 */
export type MqHttpLostAckEffect = 'random' | 'always' | 'never';

/** Fault settings that apply to every request while they are set. */
export interface RequestFaults {
  /** Chance in [0, 1] that an ack request gets no answer (its connection is reset). */
  loseAckRate: number;
  loseAckEffect: MqHttpLostAckEffect;
  /** Delay before every answer of the protocol, errors included. */
  slowMs: number;
}

/** Everything a request handler of the peer works with. */
export interface PeerContext {
  readonly broker: BrokerModel;
  readonly counters: PeerCounters;
  /** accessKeyId to accessKeySecret. */
  readonly credentials: ReadonlyMap<string, string>;
  /** When set, the only topics that exist (in every instance); others get TopicNotExist. */
  readonly topics: ReadonlySet<string> | undefined;
  readonly faults: RequestFaults;
  readonly random: () => number;
  /** `HostId` of error answers: the endpoint. */
  readonly hostId: string;
}
