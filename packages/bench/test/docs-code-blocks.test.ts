import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkDocCodeBlocks } from '../../../test-support/docs-code-blocks.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const outDir = (name: string): string =>
  fileURLToPath(new URL(`../node_modules/.cache/${name}/`, import.meta.url));

describe('the docs', () => {
  it('compile: every ```ts block of README.md and docs/*.md typechecks with the strict settings', async () => {
    const report = await checkDocCodeBlocks({ root, outDir: outDir('docs-check') });
    for (const skip of report.skipped)
      console.warn(`docs block not compiled: ${skip.location}: ${skip.reason}`);
    expect(report.files).toContain('README.md');
    expect(report.compiled).toBeGreaterThan(0);
    // One line per error, at the markdown file and line, so the failure says which example to fix.
    expect(report.errors.map((error) => `${error.location}: ${error.message}`)).toEqual([]);
  }, 120_000);

  it('reports a block that does not compile at its markdown file and line, honouring the markers', async () => {
    const file = 'packages/bench/test/fixtures/docs-with-errors.md';
    const report = await checkDocCodeBlocks({ root, outDir: outDir('docs-check-fixture'), files: [file] });
    expect(report.compiled).toBe(2);
    expect(report.skipped).toEqual([{ location: `${file}:21`, reason: 'shows pseudo-code on purpose' }]);
    expect(report.errors.map((error) => error.location)).toEqual([`${file}:9`, `${file}:15`]);
    expect(report.errors[0]?.message).toMatch(/^TS2322: /);
  }, 120_000);
});
