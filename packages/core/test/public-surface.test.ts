// The one test that imports core through its entries: every other test imports the module it
// tests, so nothing is exported only because a test needed it.
import { existsSync, readFileSync } from 'node:fs';
import * as root from '@idem/core';
import * as adapter from '@idem/core/adapter';
import * as integration from '@idem/core/integration';
import { describe, expect, it } from 'vitest';

const packageDir = new URL('../', import.meta.url);

describe('the public surface of @idem/core', () => {
  it('exports from the root what a service author uses, and nothing else', () => {
    expect(Object.keys(root).sort()).toEqual([
      'Consumer',
      'DEFAULT_DEDUP_WINDOW_MS',
      'DeadLetterError',
      'IdemError',
      'ROCKETMQ_DEFAULT_MAX_RETRIES',
      'ROCKETMQ_DEFAULT_MESSAGE_RETENTION_MS',
      'ROCKETMQ_RETRY_BACKOFF_MS',
      'Subscribe',
      'checkDedupWindow',
      'cleanupProcessedMessages',
      'collectIdemStats',
      'createDatabase',
      'createIdemMetrics',
      'createOutboxRelay',
      'createProcessor',
      'createRedactingLogger',
      'createTracingInstrumentation',
      'defaultIdempotencyKey',
      'defineIdemConfig',
      'findMissingRuntimePrivileges',
      'getDeadLetter',
      'listDeadLetters',
      'listOutbox',
      'listQuarantinedGroups',
      'logFieldsJson',
      'migrateDown',
      'migrateToLatest',
      'migrateUp',
      'migrationSql',
      'migrationStatus',
      'purgeDeadLetters',
      'purgeOutboxRows',
      'redactSecrets',
      'releaseMessageGroup',
      'replayDeadLetters',
      'retryOutboxRows',
      'rocketMqRetryHorizonMs',
      'runDoctor',
      'runtimeGrantStatements',
      'secretsInUrl',
      'sendInTransaction',
      'silentLogger',
      'startHealthServer',
      'startRetention',
    ]);
  });

  it('exports what a transport adapter is built from under @idem/core/adapter', () => {
    expect(Object.keys(adapter).sort()).toEqual([
      'AckBatcher',
      'createConsumer',
      'createRetryingProducer',
      'raceAbort',
      'raceTimeout',
      'shouldAcknowledge',
      'waitOrAbort',
    ]);
  });

  it('exports what a framework integration reads handler classes with under @idem/core/integration', () => {
    expect(Object.keys(integration).sort()).toEqual([
      'DEFAULT_CONFIG_FILES',
      'buildHandlerRegistry',
      'isConsumerClass',
      'loadIdemConfig',
      'pickProcessorPolicy',
      'readConsumerMetadata',
      'readSubscriptionMetadata',
    ]);
  });

  it('exports each value from one entry only', () => {
    const entries = [root, adapter, integration].map((entry) => Object.keys(entry));
    const names = entries.flat();
    expect(names.filter((name, index) => names.indexOf(name) !== index)).toEqual([]);
  });

  it('publishes each entry as a source file, its declarations and its JavaScript under one name', () => {
    const manifest = JSON.parse(readFileSync(new URL('package.json', packageDir), 'utf8')) as {
      exports: Record<string, string | Record<string, string>>;
    };
    const entries = Object.entries(manifest.exports).filter(([subpath]) => subpath !== './package.json');
    expect(entries.map(([subpath]) => subpath)).toEqual(['.', './adapter', './integration']);
    for (const [subpath, targets] of entries) {
      const name = subpath === '.' ? 'index' : subpath.slice(2);
      // The source condition first: a condition listed after `default` would never match.
      expect(targets).toEqual({
        '@idem/source': `./src/${name}.ts`,
        types: `./dist/${name}.d.ts`,
        default: `./dist/${name}.js`,
      });
      expect(Object.keys(targets)).toEqual(['@idem/source', 'types', 'default']);
      expect(existsSync(new URL(`src/${name}.ts`, packageDir))).toBe(true);
    }
  });
});
