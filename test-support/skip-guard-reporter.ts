import type { Reporter, TestModule } from 'vitest/node';

/**
 * Fails the run when a test was skipped without a reason (`it.skip`, `it.todo`, a stray
 * `it.only`), prints each reasoned skip (`ctx.skip('why')`), and ends with a plain
 * `tests: N passed, N failed, N skipped` line that CI reads.
 */
export default class SkipGuardReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    const skipped: { name: string; note: string | undefined }[] = [];
    for (const testModule of testModules) {
      for (const test of testModule.children.allTests()) {
        const result = test.result();
        if (result.state === 'passed') passed += 1;
        else if (result.state === 'failed') failed += 1;
        else if (result.state === 'skipped') {
          skipped.push({
            name: `${testModule.moduleId.replace(process.cwd(), '.')} > ${test.fullName}`,
            note: result.note,
          });
        }
      }
    }
    const silent = skipped.filter((skip) => skip.note === undefined || skip.note.trim() === '');
    for (const skip of skipped) {
      if (skip.note !== undefined && skip.note.trim() !== '')
        console.warn(`skipped: ${skip.name}: ${skip.note}`);
    }
    if (silent.length > 0) {
      console.error(
        `${silent.length} test(s) skipped without a reason (use ctx.skip('why') or remove the skip):`,
      );
      for (const skip of silent) console.error(`  ${skip.name}`);
      process.exitCode = 1;
    }
    console.warn(`tests: ${passed} passed, ${failed} failed, ${skipped.length} skipped`);
  }
}
