import type { Kysely, Selectable } from 'kysely';
import type { DeadLettersTable, IdemTables } from '../store/idem-tables.js';
import type { DeadLetter, DeadLetterResolution, DeadLetterSummary } from './dead-letter.js';

const SUMMARY_COLUMNS = [
  'id',
  'consumer_group',
  'idempotency_key',
  'message_id',
  'topic',
  'tag',
  'keys',
  'properties',
  'message_group',
  'transport',
  'born_at',
  'delivery_attempt',
  'handler',
  'reason',
  'error_message',
  'occurrences',
  'first_dead_lettered_at',
  'last_dead_lettered_at',
  'resolved_at',
  'resolution',
] as const satisfies readonly (keyof DeadLettersTable)[];

/** A listed row: the summary columns and the body's size, never the body itself. */
type SummaryRow = Pick<Selectable<DeadLettersTable>, (typeof SUMMARY_COLUMNS)[number]> & {
  readonly body_bytes: number;
};

/** A row with everything a replay needs. */
type FullRow = SummaryRow & Pick<Selectable<DeadLettersTable>, 'body' | 'original_headers'>;

/** Dead letters with the columns of a {@link DeadLetterSummary}; filter, order and limit it. */
export function selectDeadLetterSummaries(idem: Kysely<IdemTables>) {
  return idem
    .selectFrom('dead_letters')
    .select(SUMMARY_COLUMNS)
    .select((eb) => eb.fn<number>('octet_length', ['body']).as('body_bytes'));
}

/** Dead letters with every column of a {@link DeadLetter}. */
export function selectDeadLetters(idem: Kysely<IdemTables>) {
  return selectDeadLetterSummaries(idem).select(['body', 'original_headers']);
}

/** Maps a listed row to the public shape. */
export function toDeadLetterSummary(row: SummaryRow): DeadLetterSummary {
  return {
    id: String(row.id),
    consumerGroup: row.consumer_group,
    idempotencyKey: row.idempotency_key,
    messageId: row.message_id,
    topic: row.topic,
    tag: row.tag === '' ? undefined : row.tag,
    keys: row.keys,
    properties: row.properties,
    messageGroup: row.message_group ?? undefined,
    transport: row.transport,
    bornAt: row.born_at ?? undefined,
    deliveryAttempt: row.delivery_attempt,
    handler: row.handler ?? undefined,
    reason: row.reason,
    errorMessage: row.error_message,
    occurrences: row.occurrences,
    firstDeadLetteredAt: row.first_dead_lettered_at,
    lastDeadLetteredAt: row.last_dead_lettered_at,
    resolvedAt: row.resolved_at ?? undefined,
    // Written only by resolveDeadLetters, whose parameter is a DeadLetterResolution.
    resolution: (row.resolution ?? undefined) as DeadLetterResolution | undefined,
    bodyBytes: row.body_bytes,
  };
}

/** Maps a full row to the public shape. */
export function toDeadLetter(row: FullRow): DeadLetter {
  return {
    ...toDeadLetterSummary(row),
    body: row.body,
    ...(row.original_headers === null ? {} : { originalHeaders: row.original_headers }),
  };
}
