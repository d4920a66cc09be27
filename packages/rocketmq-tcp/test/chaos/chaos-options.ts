/** How a broker restart of the chaos scenario stops the broker: SIGKILL or SIGTERM. */
export type BrokerRestartKind = 'kill' | 'graceful';

/** Scale and faults of one chaos run; see {@link CI_CHAOS_OPTIONS} for the CI test's. */
export interface ChaosOptions {
  /** Orders published, each with its own business key `order-<n>`. */
  readonly messages: number;
  /** Share of orders sent a second time (same key, new message id) a few hundred sends later. */
  readonly resendRatio: number;
  /** Consumer processes of the one group. */
  readonly consumers: number;
  readonly brokerRestarts: number;
  /** Kinds of the broker restarts, used in turn (kill, graceful, kill, ...). */
  readonly brokerRestartKinds: readonly BrokerRestartKind[];
  /** How long the broker stays down in each restart. */
  readonly brokerDownMs: number;
  /** Consumer processes SIGKILLed (and started again), taken in turn. */
  readonly consumerKills: number;
  readonly postgresRestarts: number;
  readonly postgresDownMs: number;
  /** The faults are spread evenly over this range of consumption progress (0-1). */
  readonly firstFaultAt: number;
  readonly lastFaultAt: number;
  /** Upper bound of each wait (for progress, for the last effect): a bound on failure, not a pace. */
  readonly stepTimeoutMs: number;
}

/** The CI test's run: 20,000 orders, 3 broker restarts, 2 consumer kills, 1 Postgres restart. */
export const CI_CHAOS_OPTIONS: ChaosOptions = {
  messages: 20_000,
  resendRatio: 0.02,
  consumers: 2,
  brokerRestarts: 3,
  brokerRestartKinds: ['kill', 'graceful'],
  brokerDownMs: 1000,
  consumerKills: 2,
  postgresRestarts: 1,
  postgresDownMs: 2000,
  firstFaultAt: 0.08,
  lastFaultAt: 0.72,
  stepTimeoutMs: 240_000,
};
