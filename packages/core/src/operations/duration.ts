import { IdemError } from '../errors.js';

const UNIT_MS = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
} as const;

type DurationUnit = keyof typeof UNIT_MS;

/**
 * Parses an operator's duration into milliseconds: a number and a unit (`ms`, `s`, `m`, `h`, `d`,
 * `w`), several of them summed: `30m`, `12h`, `7d`, `1h30m`. A plain number is milliseconds.
 *
 * @throws IdemError `INVALID_CONFIGURATION` naming the text and the accepted form.
 */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)];
  const consumed = parts.map((part) => part[0]).join('');
  if (parts.length === 0 || consumed !== trimmed) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `cannot read duration ${JSON.stringify(text)}: use a number and a unit (ms, s, m, h, d, w), e.g. 30m, 12h, 7d or 1h30m`,
    );
  }
  let total = 0;
  for (const [, amount, unit] of parts) total += Number(amount) * UNIT_MS[unit as DurationUnit];
  return Math.round(total);
}

/** Writes milliseconds the way operators read them: `3d 4h`, `4h 45m 40s`, `250ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  let rest = Math.round(Math.abs(ms));
  if (rest < 1000) return `${sign}${rest}ms`;
  const parts: string[] = [];
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    rest -= count * UNIT_MS[unit];
    if (count > 0) parts.push(`${count}${unit}`);
  }
  return sign + parts.join(' ');
}
