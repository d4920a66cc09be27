import type { RocketMQPeerGroupStats, RocketMQPeerStats } from './rocketmq-peer-types.js';

/** Names of the per-group counters. */
export type GroupCounter = keyof RocketMQPeerGroupStats;

type MutableGroupStats = { -readonly [K in GroupCounter]: number };

function zeroGroupStats(): MutableGroupStats {
  return {
    deliveries: 0,
    redeliveries: 0,
    acks: 0,
    invalidHandles: 0,
    lostAcks: 0,
    duplicatesInjected: 0,
    deadLettered: 0,
    invisibilityChanges: 0,
  };
}

/** The peer's counters; {@link PeerCounters.snapshot} gives the public, immutable view. */
export class PeerCounters {
  readonly #groups = new Map<string, MutableGroupStats>();
  readonly #published = new Map<string, number>();
  #restarts = 0;
  #openLongPolls = 0;

  count(group: string, counter: GroupCounter, by = 1): void {
    let stats = this.#groups.get(group);
    if (stats === undefined) {
      stats = zeroGroupStats();
      this.#groups.set(group, stats);
    }
    stats[counter] += by;
  }

  countPublished(topic: string): void {
    this.#published.set(topic, (this.#published.get(topic) ?? 0) + 1);
  }

  countRestart(): void {
    this.#restarts++;
  }

  /** A ReceiveMessage call starts (+1) or stops (-1) waiting for a message. */
  countOpenLongPoll(change: 1 | -1): void {
    this.#openLongPolls += change;
  }

  snapshot(): RocketMQPeerStats {
    const totals = zeroGroupStats();
    const groups: Record<string, RocketMQPeerGroupStats> = {};
    for (const [group, stats] of this.#groups) {
      groups[group] = { ...stats };
      for (const key of Object.keys(totals) as GroupCounter[]) totals[key] += stats[key];
    }
    const topics: Record<string, { published: number }> = {};
    let published = 0;
    for (const [topic, count] of this.#published) {
      topics[topic] = { published: count };
      published += count;
    }
    return {
      ...totals,
      published,
      restarts: this.#restarts,
      openLongPolls: this.#openLongPolls,
      groups,
      topics,
    };
  }
}
