import type { ChaosReport } from './chaos-report.js';

const row = (label: string, value: string | number): string => `  ${label.padEnd(34)} ${value}`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The table a chaos run prints: what was sent, received, settled, and the effects in the end. */
export function formatChaosTable(report: ChaosReport): string {
  const settled = report.incarnations.map((each) => Object.values(each.settled).reduce((a, b) => a + b, 0));
  return [
    `chaos (real RocketMQ broker, embedded Postgres, ${report.options.consumers} consumer processes, batch mode):`,
    row(
      'messages published',
      `${report.published} (${report.orders} orders + ${report.resends} re-sends), ${seconds(report.publishMs)}`,
    ),
    row('distinct message ids', report.distinctMessageIds),
    row('deliveries received', report.received),
    row(
      '  settled',
      `${report.settled} (processed ${report.processed}, duplicate ${report.duplicate}, failed ${report.failed}, dead-lettered ${report.deadLettered})`,
    ),
    row('  abandoned by kill -9', report.abandoned),
    row('  with delivery attempt > 1', report.attemptsAboveOne),
    row('duplicates: redelivery (same id)', report.redeliveries),
    row(
      'duplicates: producer re-send',
      `${report.resentDuplicates} (${report.resentDistinctIds} distinct re-sent ids)`,
    ),
    row('acks not confirmed', report.ackFailures),
    row('effects / distinct keys', `${report.effects} / ${report.distinctEffectKeys}`),
    row('keys missing / doubled', `${report.missingCount} / ${report.doubledKeys.length}`),
    row('sent but never settled', report.confirmedNeverSettled),
    row('broker restarts', `${report.brokerRestarts.length} (${report.brokerRestarts.join(', ')})`),
    row('consumer kill -9 + restart', report.consumerKills),
    row('Postgres restarts', report.postgresRestarts),
    row('longest pause in consumption', `${seconds(report.longestPauseMs)} between two settled deliveries`),
    row('wall time', `${seconds(report.wallMs)} (broker start excluded)`),
    ...report.events.map((event) => `  - ${event}`),
    ...report.incarnations.map(
      (each, index) =>
        `  consumer ${each.name}: received ${each.received}, settled ${settled[index]} ${JSON.stringify(each.settled)}${each.killed ? ' (killed)' : ''}`,
    ),
  ].join('\n');
}
