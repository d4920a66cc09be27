import { IdemError } from './errors.js';

/** A parsed RocketMQ tag expression: `*` (every tag) or a set of tags (`A || B`). */
export type TagExpression =
  | { readonly kind: 'all' }
  | { readonly kind: 'tags'; readonly tags: ReadonlySet<string> };

/**
 * Parses a tag expression as RocketMQ writes it: `*`, `A`, or `A || B || C`.
 *
 * @throws IdemError `INVALID_HANDLER` when the expression is empty or has an empty part.
 */
export function parseTagExpression(expression: string | undefined): TagExpression {
  const trimmed = (expression ?? '*').trim();
  if (trimmed === '*' || trimmed === '') {
    if (trimmed === '' && expression !== undefined) {
      throw new IdemError('INVALID_HANDLER', 'tag expression is empty: use "*" for every tag, or "A || B"');
    }
    return { kind: 'all' };
  }
  const tags = trimmed.split('||').map((tag) => tag.trim());
  if (tags.some((tag) => tag === '' || tag === '*')) {
    throw new IdemError(
      'INVALID_HANDLER',
      `tag expression "${expression}" is malformed: write "*" alone, or tags separated by "||" such as "created || paid"`,
    );
  }
  return { kind: 'tags', tags: new Set(tags) };
}

/** True when a message with `tag` (undefined: no tag) is selected by `expression`. */
export function matchesTag(expression: TagExpression, tag: string | undefined): boolean {
  if (expression.kind === 'all') return true;
  return tag !== undefined && expression.tags.has(tag);
}

/** True when some tag would be selected by both expressions. */
export function tagExpressionsOverlap(a: TagExpression, b: TagExpression): boolean {
  if (a.kind === 'all' || b.kind === 'all') return true;
  for (const tag of a.tags) if (b.tags.has(tag)) return true;
  return false;
}

/** Writes an expression back in RocketMQ's syntax (`*` or `A||B`), as brokers expect it. */
export function formatTagExpression(expression: TagExpression): string {
  return expression.kind === 'all' ? '*' : [...expression.tags].join('||');
}

/** The union of expressions: what one subscription must select to serve all of them. */
export function unionTagExpressions(expressions: readonly TagExpression[]): TagExpression {
  const tags = new Set<string>();
  for (const expression of expressions) {
    if (expression.kind === 'all') return expression;
    for (const tag of expression.tags) tags.add(tag);
  }
  return { kind: 'tags', tags };
}
