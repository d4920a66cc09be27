import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkDocCodeBlocks,
  type DocCodeBlock,
  extractTsBlocks,
  findDocFiles,
} from '../../../test-support/docs-code-blocks.js';
import { findConsumerGroupConflicts } from '../../../test-support/docs-consumer-groups.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const outDir = (name: string): string =>
  fileURLToPath(new URL(`../node_modules/.cache/${name}/`, import.meta.url));

async function allTsBlocks(): Promise<DocCodeBlock[]> {
  const files = await findDocFiles(root);
  const blocks = await Promise.all(
    files.map(async (file) => extractTsBlocks(await readFile(join(root, file), 'utf8'), file)),
  );
  return blocks.flat();
}

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

  it('close the database after stopping the consumer wherever they show a shutdown', async () => {
    // Without db.destroy() the pool's idle connections keep the process alive ~10 s after SIGTERM.
    const blocks = await allTsBlocks();
    const shutdowns = blocks.filter((block) => block.code.includes('consumer.stop()'));
    expect(shutdowns.length).toBeGreaterThan(0);
    const withoutDestroy = shutdowns
      .filter((block) => !/consumer\.stop\(\)[\s\S]*\bdb\.destroy\(\)/.test(block.code))
      .map((block) => `${block.file}:${block.line}`);
    expect(withoutDestroy).toEqual([]);
  });

  it('never give a handler class a consumerGroup other than the group its @Consumer declares on any page', async () => {
    const conflicts = findConsumerGroupConflicts(await allTsBlocks()).map(
      (c) =>
        `${c.location}: consumerGroup '${c.consumerGroup}' with ${c.handlerClass}, which declares '${c.declared}' at ${c.declaredAt}`,
    );
    expect(conflicts).toEqual([]);
  });
});
