import type { Kysely } from 'kysely';
import { toError } from '../errors.js';
import { readOutboxStats } from '../store/read-outbox-stats.js';
import { formatDuration } from './duration.js';

/** What {@link checkOutbox} found; a failed row or an old pending row is a warning, not a failure. */
export interface OutboxCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly warning?: boolean;
  readonly detail: string;
  readonly fix?: string;
}

/** A pending row older than this is worth a look; the same threshold as the IdemOutboxStuck alert. */
export const DEFAULT_OUTBOX_MAX_PENDING_AGE_MS = 600_000;

/**
 * Looks at the outbox of `schema`: rows that failed for good wait for an operator, and a pending
 * row older than `maxPendingAgeMs` means no relay runs or the broker cannot be reached. Both are
 * warnings: the database serves consumers either way, and nothing committed is lost.
 */
export async function checkOutbox(
  db: Kysely<unknown>,
  schema: string,
  maxPendingAgeMs = DEFAULT_OUTBOX_MAX_PENDING_AGE_MS,
): Promise<OutboxCheck> {
  const name = 'outbox delivering';
  try {
    const stats = await readOutboxStats(db, schema);
    const ageMs = (stats.oldestPendingAgeSeconds ?? 0) * 1000;
    const pending =
      stats.pending === 0
        ? 'no pending row'
        : `${stats.pending} pending (the oldest ${formatDuration(ageMs)} old)`;
    const detail = `${pending}, ${stats.failed} failed${stats.heldGroups > 0 ? `, ${stats.heldGroups} message group(s) held` : ''}`;
    if (stats.failed > 0) {
      return {
        name,
        ok: false,
        warning: true,
        detail,
        fix: `read the reasons with \`idem outbox list --status failed --schema ${schema}\`, fix the cause, then \`idem outbox retry --failed\` (or \`idem outbox purge\` what must never go out)`,
      };
    }
    if (ageMs > maxPendingAgeMs) {
      return {
        name,
        ok: false,
        warning: true,
        detail: `${detail}: older than ${formatDuration(maxPendingAgeMs)}`,
        fix: 'run an outbox relay on this schema (or give the consumers a producer), and check that its producer reaches the broker (its log says so once per outage)',
      };
    }
    return { name, ok: true, detail };
  } catch (error) {
    return { name, ok: false, detail: `cannot read ${schema}.outbox: ${toError(error).message}` };
  }
}
