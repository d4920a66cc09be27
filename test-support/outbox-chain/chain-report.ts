import { expect } from 'vitest';
import type { OutboxLogRow } from './chain-databases.js';
import type { ChainTally } from './chain-tally.js';

/** What one run of the outbox chain did; see `runOutboxChain`. */
export interface ChainReport {
  readonly transport: string;
  readonly orders: number;
  /** Messages stored by the broker: orders (by the test), invoices (by service A's outbox, every copy). */
  readonly published: { readonly orders: number; readonly invoices: number };
  /** Per hop, summed over every process of the service. */
  readonly hops: { readonly billing: ChainTally; readonly mailer: ChainTally };
  readonly effects: { readonly invoices: number; readonly emails: number };
  readonly distinctOrders: { readonly invoices: number; readonly emails: number };
  readonly doubleEffects: { readonly invoices: readonly string[]; readonly emails: readonly string[] };
  readonly kills: number;
  readonly faultLabel: string;
  readonly faults: number;
  /** Every outbox row service A wrote. */
  readonly outboxLog: readonly OutboxLogRow[];
  /** The first key of every message stored on the invoices topic. */
  readonly storedInvoiceKeys: readonly string[];
  /** The keys service B processed. */
  readonly mailerKeys: readonly string[];
  readonly unsentOutboxRows: number;
  /** How both services ended after SIGTERM (A, then B). */
  readonly exits: readonly { readonly code: number | null; readonly signal: NodeJS.Signals | null }[];
  readonly wallMs: number;
}

/** The run as a table: one column per hop. */
export function formatChainTable(report: ChainReport): string {
  const { billing, mailer } = report.hops;
  const distinctStored = new Set(report.storedInvoiceKeys).size;
  const skipped = (tally: ChainTally): string =>
    `${tally.duplicatesSkipped} (${tally.redeliveriesSkipped} redeliveries, ${tally.resendsSkipped} re-sends)`;
  const rows: [string, string, string][] = [
    ['', 'hop 1: orders -> A', 'hop 2: invoices -> B'],
    ['published', String(report.published.orders), `${report.published.invoices} (${distinctStored} keys)`],
    ['delivered', String(billing.delivered), String(mailer.delivered)],
    ['processed', String(billing.processed), String(mailer.processed)],
    ['duplicates skipped', skipped(billing), skipped(mailer)],
    ['handler failures', String(billing.failed), String(mailer.failed)],
    ['effects', `${report.effects.invoices} invoices`, `${report.effects.emails} emails`],
  ];
  const width = [20, 34, 34];
  const line = (cells: readonly string[]): string =>
    `  ${cells.map((cell, index) => cell.padEnd(width[index] ?? 0)).join(' ')}`.trimEnd();
  return [
    `outbox chain over ${report.transport}: ${report.orders} orders`,
    ...rows.map(line),
    line(['kills of A (kill -9)', String(report.kills)]),
    line(['broker faults', `${report.faults} (${report.faultLabel})`]),
    line(['wall time', `${(report.wallMs / 1000).toFixed(1)} s`]),
  ].join('\n');
}

/**
 * The chain's guarantees: one invoice and one email per order, every outgoing message keyed
 * uniquely (the keys compared with what the outbox rows say, not with a format), every one of
 * them on the broker and consumed by B, none left unsent, and both services ending cleanly.
 */
export function expectExactlyOnceChain(report: ChainReport, expected: { readonly kills: number }): void {
  const { orders } = report;
  expect(report.published.orders).toBe(orders);
  expect(report.effects).toEqual({ invoices: orders, emails: orders });
  expect(report.distinctOrders).toEqual({ invoices: orders, emails: orders });
  expect(report.doubleEffects).toEqual({ invoices: [], emails: [] });
  expect(report.kills).toBeGreaterThanOrEqual(expected.kills);
  expect(report.faults).toBeGreaterThanOrEqual(1);
  // Duplicates were injected on both hops and every one of them was skipped, not applied.
  expect(report.hops.billing.duplicatesSkipped).toBeGreaterThan(0);
  expect(report.hops.mailer.duplicatesSkipped).toBeGreaterThan(0);
  // A killed service A may commit without printing its event; B is never killed.
  expect(report.hops.billing.processed).toBeLessThanOrEqual(orders);
  expect(report.hops.mailer.processed).toBe(orders);

  // One outbox row per order (a rolled-back handler run leaves none), each with a key of its own.
  const rowKeys = report.outboxLog.map((row) => row.keys);
  expect(rowKeys.every((keys) => keys.length === 1)).toBe(true);
  const keys = rowKeys.map((keys) => keys[0] ?? '');
  expect(new Set(keys).size).toBe(orders);
  expect(new Set(report.outboxLog.map((row) => row.sourceKey)).size).toBe(orders);
  // None lost: every row's message reached the broker under the row's key, and only those.
  expect(new Set(report.storedInvoiceKeys)).toEqual(new Set(keys));
  expect(report.unsentOutboxRows).toBe(0);
  // Service B processed exactly those keys, each once.
  expect([...report.mailerKeys].sort()).toEqual([...keys].sort());
  expect(report.exits).toEqual([
    { code: 0, signal: null },
    { code: 0, signal: null },
  ]);
}
