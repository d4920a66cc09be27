import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const workspacePackages = {
  '@idem/core': 'packages/core',
  '@idem/testing': 'packages/testing',
  '@idem/rocketmq-tcp': 'packages/rocketmq-tcp',
  '@idem/rocketmq-http': 'packages/rocketmq-http',
  '@idem/nestjs': 'packages/nestjs',
  // Core reaches its migrations through the package import #migrations (dist/migrations once
  // published); in tests that is the workspace's migrations/ package.
  '#migrations': 'migrations',
};

export default defineConfig({
  resolve: {
    // Workspace packages resolve to their TypeScript sources in tests, so `pnpm test` needs
    // no build first; the published `exports` point at dist/.
    alias: [
      ...Object.entries(workspacePackages).map(([name, dir]) => ({
        find: new RegExp(`^${name}$`),
        replacement: fileURLToPath(new URL(`./${dir}/src/index.ts`, import.meta.url)),
      })),
      // Core's subpath entries (its package.json `exports`), each a file beside its index.ts.
      {
        find: /^@idem\/core\/(adapter|integration)$/,
        replacement: fileURLToPath(new URL('./packages/core/src/$1.ts', import.meta.url)),
      },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    // Type-level tests (expectTypeOf, @ts-expect-error) are also run under tsc and reported per
    // test; `pnpm typecheck` compiles the same files.
    typecheck: {
      enabled: true,
      include: ['packages/*/test/**/public-types.test.ts'],
      tsconfig: './tsconfig.json',
    },
    globalSetup: ['./test-support/global-setup.ts'],
    reporters: ['default', './test-support/skip-guard-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: more parallel files than that only adds scheduling noise to timing-heavy tests.
    maxWorkers: 2,
  },
});
