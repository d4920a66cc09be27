import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadIdemConfig } from '../../src/operations/load-idem-config.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

describe('loadIdemConfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'idem-config-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('finds idem.config.mjs in the working directory and returns its default export', async () => {
    const loaded = await loadIdemConfig(undefined, fixtures);
    expect(loaded.path).toBe(join(fixtures, 'idem.config.mjs'));
    expect(loaded.config.consumerGroup).toBe('billing');
    expect(await loaded.config.handlers({ db: undefined as never, schema: 'idem' })).toHaveLength(1);
  });

  it('resolves a relative --config path against the working directory', async () => {
    await writeFile(join(dir, 'custom.mjs'), "export default { consumerGroup: 'g', handlers: () => [] };\n");
    expect((await loadIdemConfig('custom.mjs', dir)).config.consumerGroup).toBe('g');
  });

  it('says which files it looked for when there is none', async () => {
    await expect(loadIdemConfig(undefined, dir)).rejects.toMatchObject({
      code: 'INVALID_CONFIGURATION',
      message: expect.stringMatching(
        /create idem\.config\.js or idem\.config\.mjs in .* or pass --config <path>/,
      ),
    });
    await expect(loadIdemConfig('missing.mjs', dir)).rejects.toThrow(/missing\.mjs does not exist/);
  });

  it('names what is wrong with the default export', async () => {
    const cases: [string, RegExp][] = [
      ['export const x = 1;', /no default export object/],
      ['export default { handlers: () => [] };', /consumerGroup must be a non-empty string/],
      ["export default { consumerGroup: 'g', handlers: [] };", /handlers must be a function/],
      ["throw new Error('boom at load');", /failed to load: boom at load/],
    ];
    for (const [index, [source, expected]] of cases.entries()) {
      const file = join(dir, `bad-${index}.mjs`);
      await writeFile(file, `${source}\n`);
      await expect(loadIdemConfig(file, dir)).rejects.toMatchObject({
        code: 'INVALID_CONFIGURATION',
        message: expect.stringMatching(expected),
      });
    }
  });
});
