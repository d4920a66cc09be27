/** What replaces a secret. */
export const REDACTED = '***';

// Deeper structures and longer arrays are cut: redaction walks every log line and must stay
// cheap, and anything it does not walk must not reach the log unredacted.
const MAX_DEPTH = 8;
const MAX_ITEMS = 200;

/**
 * Returns `value` with every occurrence of each secret replaced by `***`: in strings, and deep
 * inside objects (their own enumerable fields, or what their `toJSON` returns, as a JSON logger
 * would write them), arrays and errors (message, stack, cause, own fields), at most 8 levels and
 * 200 items or keys per level; anything past those bounds becomes `[Truncated]`, a cycle
 * `[Circular]`. Binary data (Buffers) is passed through. The URL-encoded form of each secret is replaced too, since passwords travel in
 * connection strings. The input is never modified; empty secrets are ignored.
 *
 * @example
 * ```ts
 * redactSecrets({ url: 'postgres://app:s3cret@db/app' }, ['s3cret']); // { url: 'postgres://app:***@db/app' }
 * ```
 */
export function redactSecrets(value: string, secrets: readonly string[]): string;
export function redactSecrets(value: unknown, secrets: readonly string[]): unknown;
export function redactSecrets(value: unknown, secrets: readonly string[]): unknown {
  const variants = secretVariants(secrets);
  if (variants.length === 0) return value;
  return redactValue(value, variants, 0, new WeakSet());
}

/**
 * The secrets of a connection string or endpoint URL: its password as written and decoded.
 * Feed them to {@link redactSecrets} or {@link createRedactingLogger}.
 */
export function secretsInUrl(url: string): string[] {
  try {
    const password = new URL(url).password;
    if (password === '') return [];
    return [...new Set([password, safeDecode(password)])];
  } catch {
    const match = /:\/\/[^:/@]*:([^@]*)@/.exec(url);
    return match?.[1] ? [match[1]] : [];
  }
}

function secretVariants(secrets: readonly string[]): string[] {
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (typeof secret !== 'string' || secret === '') continue;
    variants.add(secret);
    variants.add(encodeURIComponent(secret));
  }
  // Longest first, so a secret containing another is replaced whole.
  return [...variants].sort((a, b) => b.length - a.length);
}

function redactString(text: string, variants: readonly string[]): string {
  let result = text;
  for (const secret of variants) if (result.includes(secret)) result = result.split(secret).join(REDACTED);
  return result;
}

function redactValue(
  value: unknown,
  variants: readonly string[],
  depth: number,
  seen: WeakSet<object>,
): unknown {
  if (typeof value === 'string') return redactString(value, variants);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (value instanceof Error) return redactError(value, variants, depth, seen);
    if (Array.isArray(value)) {
      const items = value.slice(0, MAX_ITEMS).map((item) => redactValue(item, variants, depth + 1, seen));
      if (value.length > MAX_ITEMS) items.push(`[Truncated ${value.length - MAX_ITEMS} items]`);
      return items;
    }
    if (ArrayBuffer.isView(value)) return value;
    // What a JSON log serializer would write: a URL's toJSON is its href, password included.
    const toJSON: unknown = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return redactValue(toJSON.call(value), variants, depth, seen);
    return redactEntries(value, variants, depth, seen, {});
  } finally {
    seen.delete(value);
  }
}

function redactError(error: Error, variants: readonly string[], depth: number, seen: WeakSet<object>): Error {
  const copy = new Error(redactString(error.message, variants));
  copy.name = error.name;
  if (error.stack === undefined) delete copy.stack;
  else copy.stack = redactString(error.stack, variants);
  if (error.cause !== undefined) copy.cause = redactValue(error.cause, variants, depth + 1, seen);
  return redactEntries(error, variants, depth, seen, copy);
}

function redactEntries<Target extends object>(
  source: object,
  variants: readonly string[],
  depth: number,
  seen: WeakSet<object>,
  target: Target,
): Target {
  const entries = Object.entries(source);
  for (const [key, item] of entries.slice(0, MAX_ITEMS)) {
    Object.defineProperty(target, redactString(key, variants), {
      value: redactValue(item, variants, depth + 1, seen),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  if (entries.length > MAX_ITEMS) {
    Object.defineProperty(target, '[Truncated]', {
      value: `${entries.length - MAX_ITEMS} more keys`,
      enumerable: true,
    });
  }
  return target;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
