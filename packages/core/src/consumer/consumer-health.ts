import type { DispatchOutcome } from '../processor/dispatch-result.js';

/** The lifecycle of a consumer. */
export type ConsumerStatus = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** A dependency's reachability as last observed. */
export interface DependencyHealth {
  readonly reachable: boolean;
  /** When the current state (reachable or not) began. */
  readonly since: Date | undefined;
}

/** A consumer's state for readiness probes and dashboards. */
export interface ConsumerHealth {
  readonly status: ConsumerStatus;
  /** Running with broker and database reachable: what a readiness probe should check. */
  readonly ready: boolean;
  readonly broker: DependencyHealth;
  readonly database: DependencyHealth;
  /** Deliveries received and not yet settled. */
  readonly inFlight: number;
  readonly lastMessageAt: Date | undefined;
  /** Results by outcome since start. */
  readonly outcomes: Readonly<Record<DispatchOutcome, number>>;
  /** Acks that could not be confirmed after retries (left to redelivery). */
  readonly ackFailures: number;
}
