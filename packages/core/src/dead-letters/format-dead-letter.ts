import type { DeadLetter, DeadLetterSummary } from './dead-letter.js';

/** A body readable in a terminal or JSON: UTF-8 text when it is text, else base64. */
export interface PrintableBody {
  readonly encoding: 'utf-8' | 'base64';
  readonly text: string;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body as text when it is valid UTF-8 without control characters (other than tab and line
 * breaks), so what is printed is exactly what was stored; otherwise base64.
 */
export function printableBody(body: Buffer): PrintableBody {
  try {
    const text = strictUtf8.decode(body);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point.
    if (!/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text)) return { encoding: 'utf-8', text };
  } catch {
    // Not UTF-8: base64 below.
  }
  return { encoding: 'base64', text: body.toString('base64') };
}

/** One line per dead letter for `idem dead-letters list`. */
export function formatDeadLetterLine(deadLetter: DeadLetterSummary): string {
  const state = deadLetter.resolvedAt === undefined ? 'open' : (deadLetter.resolution ?? 'resolved');
  return [
    deadLetter.id,
    deadLetter.lastDeadLetteredAt.toISOString(),
    deadLetter.consumerGroup,
    `${deadLetter.topic}:${deadLetter.tag ?? ''}`,
    deadLetter.reason,
    `key=${deadLetter.idempotencyKey}`,
    `x${deadLetter.occurrences}`,
    state,
  ].join('  ');
}

/** The lines of `idem dead-letters show`: headers, reason, error and body. */
export function formatDeadLetter(deadLetter: DeadLetter): string[] {
  const body = printableBody(deadLetter.body);
  const optional = (label: string, value: string | undefined): string[] =>
    value === undefined ? [] : [`${label}: ${value}`];
  return [
    `Dead letter ${deadLetter.id} (${deadLetter.resolvedAt === undefined ? 'open' : `${deadLetter.resolution ?? 'resolved'} at ${deadLetter.resolvedAt.toISOString()}`})`,
    `consumer group: ${deadLetter.consumerGroup}`,
    `idempotency key: ${deadLetter.idempotencyKey}`,
    `message id: ${deadLetter.messageId}`,
    `topic: ${deadLetter.topic}`,
    `tag: ${deadLetter.tag ?? '(none)'}`,
    `keys: ${deadLetter.keys.length === 0 ? '(none)' : deadLetter.keys.join(', ')}`,
    ...optional('message group', deadLetter.messageGroup),
    `transport: ${deadLetter.transport}`,
    ...optional('born at', deadLetter.bornAt?.toISOString()),
    `delivery attempt: ${deadLetter.deliveryAttempt}`,
    ...optional('handler', deadLetter.handler),
    `reason: ${deadLetter.reason}`,
    `error: ${deadLetter.errorMessage}`,
    `occurrences: ${deadLetter.occurrences} (first ${deadLetter.firstDeadLetteredAt.toISOString()}, last ${deadLetter.lastDeadLetteredAt.toISOString()})`,
    'properties:',
    ...Object.entries(deadLetter.properties).map(([name, value]) => `  ${name}: ${value}`),
    `body (${deadLetter.bodyBytes} bytes, ${body.encoding}):`,
    body.text,
  ];
}
