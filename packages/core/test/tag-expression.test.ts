import { describe, expect, it } from 'vitest';
import { formatTagExpression, matchesTag, parseTagExpression } from '../src/tag-expression.js';

describe('tag expressions', () => {
  it('selects every tag, and untagged messages, with *', () => {
    const all = parseTagExpression('*');
    expect(matchesTag(all, 'x')).toBe(true);
    expect(matchesTag(all, undefined)).toBe(true);
    expect(matchesTag(parseTagExpression(undefined), 'y')).toBe(true);
  });

  it('selects only the listed tags of A || B, ignoring spaces', () => {
    const some = parseTagExpression(' created ||paid ');
    expect(matchesTag(some, 'paid')).toBe(true);
    expect(matchesTag(some, 'cancelled')).toBe(false);
    expect(matchesTag(some, undefined)).toBe(false);
    expect(formatTagExpression(some)).toBe('created||paid');
  });

  it('rejects empty parts and a * among tags', () => {
    expect(() => parseTagExpression('')).toThrow(/empty/);
    expect(() => parseTagExpression('a||')).toThrow(/malformed/);
    expect(() => parseTagExpression('a||*')).toThrow(/malformed/);
  });
});
