import { readFileSync } from 'node:fs';
import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createIdemMetrics } from '../../src/observability/create-idem-metrics.js';

const docs = new URL('../../../../docs/', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, docs), 'utf8');

/** Every series name the default metrics can expose: histograms add `_bucket`, `_sum`, `_count`. */
function exposedNames(): Set<string> {
  const registry = new Registry();
  createIdemMetrics({ registry });
  const names = new Set<string>();
  for (const metric of registry.getMetricsAsArray()) {
    names.add(metric.name);
    if (metric instanceof Histogram)
      for (const suffix of ['_bucket', '_sum', '_count']) names.add(metric.name + suffix);
  }
  return names;
}

const metricNamesIn = (text: string): string[] => [
  ...new Set(text.match(/\bidem_[a-z0-9_]*[a-z0-9]/g) ?? []),
];

/** Every string value under a key named `key`, anywhere in a parsed document. */
function valuesOf(node: unknown, key: string): string[] {
  if (Array.isArray(node)) return node.flatMap((item) => valuesOf(item, key));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([name, value]) =>
    name === key && typeof value === 'string' ? [value] : valuesOf(value, key),
  );
}

interface AlertRule {
  alert?: unknown;
  expr?: unknown;
  labels?: { severity?: unknown };
  annotations?: { summary?: unknown };
}

describe('the monitoring docs', () => {
  const known = exposedNames();

  it('alert on metrics that exist, every rule with an expression, a severity and a summary', () => {
    const rules = parse(read('monitoring/idem-alerts.yml')) as {
      groups: { name: string; rules: AlertRule[] }[];
    };
    const all = rules.groups.flatMap((group) => group.rules);
    expect(all.map((rule) => rule.alert)).toEqual([
      'IdemBrokerDisconnected',
      'IdemDatabaseUnreachable',
      'IdemDeadLettersIncreasing',
      'IdemConsumerStalled',
      'IdemAckFailures',
      'IdemCleanupNotRunning',
      'IdemTableStatsUnavailable',
      'IdemOutboxStuck',
      'IdemOutboxFailedRows',
    ]);
    for (const rule of all) {
      expect(typeof rule.expr, String(rule.alert)).toBe('string');
      expect(['critical', 'warning', 'info']).toContain(rule.labels?.severity);
      expect(typeof rule.annotations?.summary).toBe('string');
      const names = metricNamesIn(String(rule.expr));
      expect(names.length, `${String(rule.alert)} uses no Idem metric`).toBeGreaterThan(0);
      for (const name of names) expect(known, `${String(rule.alert)} uses ${name}`).toContain(name);
    }
  });

  it('chart metrics that exist in a dashboard Grafana can import', () => {
    const dashboard = JSON.parse(read('monitoring/idem-dashboard.json')) as {
      uid: string;
      panels: { id: number; targets?: { expr: string; refId: string }[] }[];
    };
    expect(dashboard.uid).toBe('idem-consumers');
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    const queries = [...valuesOf(dashboard.panels, 'expr'), ...valuesOf(dashboard, 'definition')];
    expect(queries.length).toBeGreaterThan(10);
    const used = new Set(queries.flatMap(metricNamesIn));
    for (const name of used) expect(known, `the dashboard uses ${name}`).toContain(name);
    // Every metric Idem exposes is on the dashboard (a histogram through its buckets).
    const charted = new Set([...used].map((name) => name.replace(/_bucket$/, '')));
    const registry = new Registry();
    createIdemMetrics({ registry });
    for (const metric of registry.getMetricsAsArray())
      expect(charted, 'not on the dashboard').toContain(metric.name);
  });

  it('document exactly the metrics that exist', () => {
    const documented = metricNamesIn(read('observability.md'));
    for (const name of documented) expect(known, `observability.md names ${name}`).toContain(name);
    const registry = new Registry();
    createIdemMetrics({ registry });
    for (const metric of registry.getMetricsAsArray()) expect(documented).toContain(metric.name);
  });
});
