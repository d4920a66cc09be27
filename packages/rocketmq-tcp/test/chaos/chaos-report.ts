import type { ChaosOptions } from './chaos-options.js';

/** One consumer process incarnation's counts, as the parent read them from its event lines. */
export interface ChaosIncarnationReport {
  readonly name: string;
  readonly received: number;
  readonly settled: Readonly<Record<string, number>>;
  readonly killed: boolean;
}

/** What a chaos run did and found: the facts the table prints and {@link chaosViolations} judges. */
export interface ChaosReport {
  readonly options: ChaosOptions;
  readonly orders: number;
  readonly resends: number;
  readonly published: number;
  readonly publishMs: number;
  readonly distinctMessageIds: number;
  readonly received: number;
  readonly settled: number;
  readonly processed: number;
  readonly duplicate: number;
  readonly failed: number;
  readonly deadLettered: number;
  /** Received by a consumer and not settled when it was SIGKILLed. */
  readonly abandoned: number;
  readonly attemptsAboveOne: number;
  /** Duplicates carrying the message id that won their key. */
  readonly redeliveries: number;
  /** Duplicates carrying another message id than the winner: producer-side re-sends. */
  readonly resentDuplicates: number;
  readonly resentDistinctIds: number;
  readonly ackFailures: number;
  readonly effects: number;
  readonly distinctEffectKeys: number;
  /** Keys without an effect (at most 20 listed) and their count. */
  readonly missingKeys: readonly string[];
  readonly missingCount: number;
  /** Keys with more than one effect: must be empty. */
  readonly doubledKeys: readonly string[];
  readonly deadLetters: number;
  /** Keys in processed_keys for the group. */
  readonly processedRows: number;
  /** Message ids the producer was told were stored and no consumer ever settled. */
  readonly confirmedNeverSettled: number;
  /** Consumers still running at the end whose settled count differs from their received count. */
  readonly unsettledSurvivors: readonly string[];
  /** Consumers that did not exit 0 after SIGTERM at the end. */
  readonly uncleanExits: readonly string[];
  readonly brokerRestarts: readonly string[];
  readonly consumerKills: number;
  readonly postgresRestarts: number;
  readonly longestPauseMs: number;
  readonly wallMs: number;
  /** One line per fault: what, at which progress, when, how long it took. */
  readonly events: readonly string[];
  readonly incarnations: readonly ChaosIncarnationReport[];
}

/**
 * Every way the run broke exactly-once or lost count, in words; empty when effects are exactly
 * one per key, nothing is missing or dead-lettered, and the counters add up.
 */
export function chaosViolations(report: ChaosReport): string[] {
  const violations: string[] = [];
  const check = (ok: boolean, what: string): void => {
    if (!ok) violations.push(what);
  };
  check(
    report.missingCount === 0,
    `${report.missingCount} keys without an effect: ${report.missingKeys.join(', ')}`,
  );
  check(
    report.doubledKeys.length === 0,
    `keys with more than one effect: ${report.doubledKeys.slice(0, 20).join(', ')}`,
  );
  check(report.effects === report.orders, `${report.effects} effects for ${report.orders} orders`);
  check(report.deadLetters === 0 && report.deadLettered === 0, `${report.deadLetters} dead letters`);
  check(
    report.processedRows === report.orders,
    `${report.processedRows} processed keys for ${report.orders} orders`,
  );
  check(
    report.confirmedNeverSettled === 0,
    `${report.confirmedNeverSettled} sent messages were never settled`,
  );
  check(
    report.unsettledSurvivors.length === 0,
    `deliveries left unsettled by ${report.unsettledSurvivors.join(', ')}`,
  );
  check(
    report.processed + report.duplicate + report.failed === report.received - report.abandoned,
    `processed + duplicate + failed = ${report.processed + report.duplicate + report.failed}, deliveries received - abandoned = ${report.received - report.abandoned}`,
  );
  // A processed commit goes unreported only when its consumer died before printing it.
  check(report.processed <= report.orders, `${report.processed} processed for ${report.orders} orders`);
  check(
    report.orders - report.processed <= report.abandoned,
    `${report.orders - report.processed} orders processed unreported, more than the ${report.abandoned} abandoned`,
  );
  check(
    report.resentDistinctIds >= report.resends,
    `${report.resentDistinctIds} re-sent ids recognised as duplicates of ${report.resends} re-sends`,
  );
  check(
    report.uncleanExits.length === 0,
    `consumers that did not exit 0 after SIGTERM: ${report.uncleanExits.join(', ')}`,
  );
  return violations;
}
