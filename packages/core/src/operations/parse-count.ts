import { IdemError } from '../errors.js';

/**
 * Parses a positive whole number given on the command line (`--batch-size 500`).
 *
 * @throws IdemError `INVALID_CONFIGURATION` naming the option.
 */
export function parseCount(option: string, text: string): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `${option} must be a whole number >= 1, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}
