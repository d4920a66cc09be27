import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';

/**
 * The last `lines` lines of each file that exists, each under its file name: the part of the
 * logs a startup error should carry so the failure can be read without rerunning it.
 */
export async function describeLogTails(files: readonly string[], lines = 25): Promise<string> {
  const parts: string[] = [];
  for (const file of files) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined || text.trim() === '') continue;
    const tail = text.trimEnd().split(/\r?\n/).slice(-lines).join('\n');
    parts.push(`--- ${basename(file)} (${file}) ---\n${tail}`);
  }
  return parts.length === 0 ? '(no log output)' : parts.join('\n');
}
