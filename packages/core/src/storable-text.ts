// With the `u` flag a surrogate pair reads as one code point, so `\p{Cs}` matches only lone
// surrogates (String.prototype.isWellFormed is ES2024, beyond the project's lib).
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATE_GLOBAL = /\p{Cs}/gu;

/**
 * The form of a header (message id, topic, tag, property) that Postgres stores as sent: lone
 * surrogates become U+FFFD (what Postgres would store anyway) and NUL, which Postgres refuses in
 * text, becomes the six characters `\u0000`. For display and lookup only; it is not injective,
 * so it never serves as an idempotency key (see `toStorableKey`).
 */
export function toStorableText(value: string): string {
  const wellFormed = value.replace(LONE_SURROGATE_GLOBAL, '\ufffd');
  return wellFormed.includes('\u0000') ? wellFormed.replaceAll('\u0000', '\\u0000') : wellFormed;
}

/** True when {@link toStorableText} returns `value` unchanged. */
export function isStorableText(value: string): boolean {
  return !hasLoneSurrogate(value) && !value.includes('\u0000');
}

/** True when `value` holds a UTF-16 surrogate without its pair (not well-formed UTF-16). */
export function hasLoneSurrogate(value: string): boolean {
  return LONE_SURROGATE.test(value);
}
