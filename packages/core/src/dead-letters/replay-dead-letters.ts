import type { Kysely } from 'kysely';
import type { IdemError } from '../errors.js';
import { toOperationError } from '../operations/operation-error.js';
import type { Processor } from '../processor/create-processor.js';
import type { DispatchOutcome } from '../processor/dispatch-result.js';
import type { DeadLetter } from './dead-letter.js';
import { selectedIds } from './dead-letter-ids.js';
import { deadLetterToMessage } from './dead-letter-to-message.js';
import { idemTablesIn } from './idem-tables-in.js';
import { getDeadLetters } from './read-dead-letters.js';
import { resolveDeadLetters } from './resolve-dead-letters.js';
import { selectDeadLetters, toDeadLetter } from './select-dead-letters.js';

/** Options of {@link replayDeadLetters}: give `ids`, or `all: true`. */
export interface ReplayDeadLettersOptions {
  readonly ids?: readonly string[];
  /** Every open dead letter of the processor's consumer group, oldest first. */
  readonly all?: boolean;
  /** With `all`: replay at most this many. */
  readonly limit?: number;
  /** Stops between two messages. */
  readonly signal?: AbortSignal;
}

/**
 * What became of one dead letter: `replayed` (processed, or found already processed: resolved
 * `replayed`), `dead-lettered` (dead-lettered again: still open, with the new reason), `failed`
 * (the handler or the database failed: still open), `skipped` (not open, unknown, or of another
 * consumer group: nothing done).
 */
export type ReplayOutcome = 'replayed' | 'dead-lettered' | 'failed' | 'skipped';

/** One dead letter's replay. */
export interface ReplayItem {
  readonly id: string;
  readonly outcome: ReplayOutcome;
  /** The processor's outcome, when it ran. */
  readonly dispatchOutcome?: DispatchOutcome;
  readonly key?: string;
  /** One line for operators. */
  readonly detail: string;
  readonly error?: IdemError;
  /** The open dead letter now holding the message, when it is not `id` (its key changed). */
  readonly openDeadLetterId?: string;
}

/** What {@link replayDeadLetters} did. */
export interface ReplayReport {
  readonly replayed: number;
  /** Dead-lettered again or failed: still open. */
  readonly stillOpen: number;
  readonly skipped: number;
  readonly items: readonly ReplayItem[];
}

const PAGE_SIZE = 100;

/**
 * Dispatches dead letters through the processor again, after a fix was deployed: each stored
 * message is rebuilt as a first delivery and handled with the usual exactly-once guarantee.
 * A dead letter whose message is processed (or was meanwhile) is resolved `replayed`; one that
 * fails or is dead-lettered again stays open (a repeat dead-lettering updates the same row) and
 * is reported. Safe to repeat and to interrupt: a crash between processing and resolving leaves
 * the row open, and its next replay finds the key processed and resolves it.
 *
 * @param processor - a processor of the dead letters' consumer group, with the fixed handlers.
 * @param userDb - the database of the processor (its schema holds the dead letters).
 */
export async function replayDeadLetters<DB>(
  processor: Processor,
  userDb: Kysely<DB>,
  options: ReplayDeadLettersOptions,
): Promise<ReplayReport> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  const schema = processor.schema;
  const selection = selectedIds(options);
  const items: ReplayItem[] = [];
  // A function, not a narrowed property read: the signal can abort while a message is replayed.
  const stopped = (): boolean => options.signal?.aborted === true;
  if (selection === 'all') {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    // Keyset pages by id: a dead letter that is dead-lettered again keeps its id, so it is not
    // fetched a second time, and rows added meanwhile come after the last id seen.
    let afterId = '0';
    while (items.length < limit && !stopped()) {
      const page = await openPage(
        db,
        schema,
        processor.consumerGroup,
        afterId,
        Math.min(PAGE_SIZE, limit - items.length),
      );
      if (page.length === 0) break;
      for (const deadLetter of page) {
        if (stopped()) break;
        items.push(await replayOne(processor, db, deadLetter));
      }
      afterId = page.at(-1)?.id ?? afterId;
    }
  } else {
    const found = new Map((await getDeadLetters(db, selection, schema)).map((row) => [row.id, row]));
    for (const id of selection) {
      if (stopped()) break;
      const deadLetter = found.get(id);
      items.push(
        deadLetter === undefined
          ? { id, outcome: 'skipped', detail: 'no dead letter has this id' }
          : await replayOne(processor, db, deadLetter),
      );
    }
  }
  return {
    replayed: items.filter((item) => item.outcome === 'replayed').length,
    stillOpen: items.filter((item) => item.outcome === 'dead-lettered' || item.outcome === 'failed').length,
    skipped: items.filter((item) => item.outcome === 'skipped').length,
    items,
  };
}

async function replayOne<DB>(
  processor: Processor,
  db: Kysely<DB>,
  deadLetter: DeadLetter,
): Promise<ReplayItem> {
  const { id } = deadLetter;
  if (deadLetter.resolvedAt !== undefined) {
    return { id, outcome: 'skipped', detail: `already resolved (${deadLetter.resolution ?? 'unknown'})` };
  }
  if (deadLetter.consumerGroup !== processor.consumerGroup) {
    return {
      id,
      outcome: 'skipped',
      detail: `belongs to consumer group "${deadLetter.consumerGroup}", not "${processor.consumerGroup}": replay it with a processor of that group`,
    };
  }
  const result = await processor.dispatch(deadLetterToMessage(deadLetter));
  const base = { id, dispatchOutcome: result.outcome, key: result.key };
  try {
    switch (result.outcome) {
      case 'processed':
      case 'duplicate': {
        await resolveDeadLetters(db, processor.schema, [id], 'replayed');
        const detail =
          result.outcome === 'processed'
            ? `processed by ${result.handler ?? 'its handler'}`
            : `already processed under key "${result.key}"${result.payloadMismatch ? ' (with a different body)' : ''}`;
        return { ...base, outcome: 'replayed', detail };
      }
      case 'dead-lettered': {
        const detail = `dead-lettered again: ${result.error.code}: ${result.error.message}`;
        if (result.key === deadLetter.idempotencyKey) {
          return { ...base, outcome: 'dead-lettered', detail, error: result.error };
        }
        // A changed key function stored the message under a new key, in a new open row: close
        // this one so the message is listed once.
        const openId = await openDeadLetterId(db, processor.schema, processor.consumerGroup, result.key);
        await resolveDeadLetters(db, processor.schema, [id], 'superseded');
        return {
          ...base,
          outcome: 'dead-lettered',
          detail: `${detail} (now dead letter ${openId ?? '?'})`,
          error: result.error,
          ...(openId === undefined ? {} : { openDeadLetterId: openId }),
        };
      }
      case 'failed':
        return { ...base, outcome: 'failed', detail: `failed: ${result.error.message}`, error: result.error };
    }
  } catch (error) {
    const err = toOperationError(error, processor.schema, `resolve dead letter ${id}`);
    return { ...base, outcome: 'failed', detail: err.message, error: err };
  }
}

async function openPage<DB>(
  db: Kysely<DB>,
  schema: string,
  consumerGroup: string,
  afterId: string,
  size: number,
): Promise<DeadLetter[]> {
  try {
    const rows = await selectDeadLetters(idemTablesIn(db, schema))
      .where('resolved_at', 'is', null)
      .where('consumer_group', '=', consumerGroup)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(size)
      .execute();
    return rows.map(toDeadLetter);
  } catch (error) {
    throw toOperationError(error, schema, `read ${schema}.dead_letters`);
  }
}

async function openDeadLetterId<DB>(
  db: Kysely<DB>,
  schema: string,
  consumerGroup: string,
  key: string,
): Promise<string | undefined> {
  const row = await idemTablesIn(db, schema)
    .selectFrom('dead_letters')
    .select('id')
    .where('consumer_group', '=', consumerGroup)
    .where('idempotency_key', '=', key)
    .where('resolved_at', 'is', null)
    .executeTakeFirst();
  return row === undefined ? undefined : String(row.id);
}
