import { createHash } from 'node:crypto';
import { hasLoneSurrogate } from './storable-text.js';

/**
 * Keys up to this many UTF-8 bytes are stored as they are. The primary key's btree refuses index
 * rows above 2,704 bytes (consumer group included), so longer keys are stored as a digest.
 */
export const MAX_VERBATIM_KEY_BYTES = 512;

/** The prefix of a key stored as a digest. */
export const DIGEST_KEY_PREFIX = 'sha256:';

/** How a key is stored: `key` is what Postgres holds and returns, byte for byte. */
export interface StorableKey {
  /** The stored key: the key itself, or `sha256:` and the hex digest of its WTF-8 bytes. */
  readonly key: string;
  /** The key's WTF-8 bytes when `key` is a digest (kept for operators), else `undefined`. */
  readonly original: Buffer | undefined;
}

/**
 * Maps a key to the form Postgres stores unchanged, so the claim's `RETURNING` equals what was
 * sent and a claim can never be misread as a duplicate: a key that is well-formed UTF-16, holds
 * no NUL and is at most {@link MAX_VERBATIM_KEY_BYTES} UTF-8 bytes is kept; any other key becomes
 * `sha256:` and the hex SHA-256 of its WTF-8 bytes. The mapping is injective (lone surrogates are
 * hashed as themselves, not as U+FFFD), so distinct keys never merge and the same key always
 * maps to the same stored key.
 */
export function toStorableKey(raw: string): StorableKey {
  if (!hasLoneSurrogate(raw) && !raw.includes('\u0000') && Buffer.byteLength(raw) <= MAX_VERBATIM_KEY_BYTES) {
    return { key: raw, original: undefined };
  }
  const original = toWtf8(raw);
  return { key: `${DIGEST_KEY_PREFIX}${createHash('sha256').update(original).digest('hex')}`, original };
}

/**
 * Encodes a string as WTF-8: UTF-8, with each lone surrogate encoded as its own three-byte
 * sequence instead of U+FFFD. For well-formed strings this is exactly UTF-8.
 */
export function toWtf8(value: string): Buffer {
  if (!hasLoneSurrogate(value)) return Buffer.from(value, 'utf8');
  const bytes: number[] = [];
  for (const char of value) {
    // A lone surrogate iterates as one unit; codePointAt gives its value (0xD800-0xDFFF).
    const cp = char.codePointAt(0) ?? 0;
    if (cp < 0x80) bytes.push(cp);
    else if (cp < 0x800) bytes.push(0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
    else if (cp < 0x10000) bytes.push(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
    else
      bytes.push(
        0xf0 | (cp >> 18),
        0x80 | ((cp >> 12) & 0x3f),
        0x80 | ((cp >> 6) & 0x3f),
        0x80 | (cp & 0x3f),
      );
  }
  return Buffer.from(bytes);
}
