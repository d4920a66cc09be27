import type { Kysely } from 'kysely';
import type pg from 'pg';
import { measureBaselineTcp } from './baseline-tcp-row.js';
import type { BenchBroker } from './bench-broker.js';
import type { BenchDatabase } from './bench-database.js';
import { type BenchSubject, medianRow, type RowPlan, type ThroughputRow } from './bench-row.js';
import { measureIdemOutbox } from './idem-outbox-row.js';
import { measureIdemTcp } from './idem-tcp-row.js';
import { measurePgFloor } from './pg-floor-row.js';

/** What {@link measureEndToEndRows} needs besides the plans. */
export interface EndToEndContext {
  readonly db: Kysely<BenchDatabase>;
  readonly pool: pg.Pool;
  readonly broker: BenchBroker;
  /** Rounds per row; each reported row is the median round. */
  readonly rounds: number;
  /** Subjects to measure, in the order a round runs them. */
  readonly subjects: readonly BenchSubject[];
  /** Called with every round's row as it is measured (progress lines). */
  readonly onRound: (row: ThroughputRow, round: number) => void;
}

/**
 * Every subject of every plan through the broker process, `rounds` times, each row the median
 * round. The subjects of one plan run back to back within a round and the rounds follow each
 * other, so a slow phase of a shared machine touches every subject of the plan, not one.
 */
export async function measureEndToEndRows(
  context: EndToEndContext,
  plans: readonly RowPlan[],
): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  for (const plan of plans) {
    const rounds = new Map<BenchSubject, ThroughputRow[]>();
    for (let round = 1; round <= context.rounds; round++) {
      for (const subject of context.subjects) {
        const row = await measureSubject(context, subject, plan);
        context.onRound(row, round);
        rounds.set(subject, [...(rounds.get(subject) ?? []), row]);
      }
    }
    for (const measured of rounds.values()) rows.push(medianRow(measured));
  }
  return rows;
}

async function measureSubject(
  { db, pool, broker }: EndToEndContext,
  subject: BenchSubject,
  plan: RowPlan,
): Promise<ThroughputRow> {
  // One topic and group per subject and plan, reused by its rounds (the real broker's are
  // created once each; every round starts with its group caught up).
  const id = `${subject}-${plan.mode}-${plan.parallelism}`;
  switch (subject) {
    case 'pg':
      return await measurePgFloor(db, pool, id, plan);
    case 'broker':
    case 'baseline':
      return await measureBaselineTcp(db, pool, broker, id, { ...plan, subject });
    case 'idem':
      return await measureIdemTcp(db, broker, id, plan);
    case 'outbox':
      return await measureIdemOutbox(db, broker, id, plan);
  }
}
