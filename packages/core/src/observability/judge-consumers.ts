import type { ConsumerHealth } from '../consumer/consumer-health.js';

/** One consumer's state as the probes report it. */
export interface ConsumerVerdict {
  readonly name: string;
  readonly status: ConsumerHealth['status'];
  readonly ready: boolean;
  /** Why the consumer is not ready (empty when it is). */
  readonly reasons: readonly string[];
  readonly inFlight: number;
  readonly lastMessageAt: string | undefined;
}

/** What the liveness and readiness probes answer, with the reasons behind a `false`. */
export interface ProbeVerdict {
  /** No consumer has stopped: the process still does its job (or is still starting). */
  readonly live: boolean;
  /** At least one consumer, and every one running with broker and database reachable. */
  readonly ready: boolean;
  readonly consumers: readonly ConsumerVerdict[];
}

/**
 * Judges consumers for the probes. A `stopped` consumer fails liveness: it will receive nothing
 * more in this process (its start failed, or it was stopped), and a restart is the remedy.
 * No consumer at all is not ready: a probe must not pass before consumers exist.
 */
export function judgeConsumers(consumers: readonly { name: string; health: ConsumerHealth }[]): ProbeVerdict {
  const verdicts = consumers.map(({ name, health }) => {
    const reasons: string[] = [];
    if (health.status !== 'running') reasons.push(`consumer is ${health.status}`);
    if (!health.broker.reachable) reasons.push(`broker unreachable${since(health.broker.since)}`);
    if (!health.database.reachable) reasons.push(`database unreachable${since(health.database.since)}`);
    // The consumer's own judgement wins should it know more than the fields above show.
    if (reasons.length === 0 && !health.ready) reasons.push('consumer reports not ready');
    return {
      name,
      status: health.status,
      ready: reasons.length === 0,
      reasons,
      inFlight: health.inFlight,
      lastMessageAt: health.lastMessageAt?.toISOString(),
    };
  });
  return {
    live: verdicts.every((verdict) => verdict.status !== 'stopped'),
    ready: verdicts.length > 0 && verdicts.every((verdict) => verdict.ready),
    consumers: verdicts,
  };
}

function since(date: Date | undefined): string {
  return date === undefined ? '' : ` since ${date.toISOString()}`;
}
