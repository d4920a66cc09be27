/** A parsed TAG filter expression: `*` (or empty) matches every message, `a||b` matches tags a and b. */
export interface TagFilter {
  /** The expression as the client sent it. */
  readonly expression: string;
  matches(tag: string | undefined): boolean;
}

/** Parses a TAG filter expression the way the broker does: `||`-separated tags, blanks trimmed. */
export function parseTagFilter(expression: string): TagFilter {
  const trimmed = expression.trim();
  if (trimmed === '' || trimmed === '*') return { expression, matches: () => true };
  const tags = new Set(
    trimmed
      .split('||')
      .map((tag) => tag.trim())
      .filter((tag) => tag !== ''),
  );
  return { expression, matches: (tag) => tag !== undefined && tags.has(tag) };
}

/** The filter a group has until it says otherwise. */
export const MATCH_ALL: TagFilter = parseTagFilter('*');
