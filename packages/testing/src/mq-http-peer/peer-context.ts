import type { LostAckEffect } from '../lost-ack-effect.js';
import type { BrokerModel } from './broker-model.js';
import type { PeerCounters } from './peer-stats.js';

/** @deprecated The HTTP peer's old name of {@link LostAckEffect}, which both peers now take. */
export type MqHttpLostAckEffect = LostAckEffect;

/** Fault settings that apply to every request while they are set. */
export interface RequestFaults {
  /** Chance in [0, 1] that an ack request gets no answer (its connection is reset). */
  loseAckRate: number;
  loseAckEffect: LostAckEffect;
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
