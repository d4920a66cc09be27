// The seed's scenario, made hard: a real RocketMQ 5 broker restarted three times (kill, graceful,
// kill), real Postgres restarted once, two consumer processes of one group SIGKILLed once each
// and started again, while 20,000 orders (and 2% producer-side re-sends of the same business key
// under a new message id) are published. Every order must end as exactly one effect row.
// The scenario lives in chaos/ and `pnpm chaos` runs it at any scale (docs/real-broker.md).
import { describe, expect, it } from 'vitest';
import { CI_CHAOS_OPTIONS } from './chaos/chaos-options.js';
import { chaosViolations } from './chaos/chaos-report.js';
import { formatChaosTable } from './chaos/format-chaos-table.js';
import { runChaosScenario } from './chaos/run-chaos-scenario.js';
import { useRealBroker } from './support/real-broker.js';

describe('chaos on a real RocketMQ 5 broker', () => {
  const brokerFor = useRealBroker();

  it('writes exactly one effect per business key through 3 broker restarts, 2 consumer kills and a Postgres restart', async (ctx) => {
    const broker = brokerFor(ctx);
    const report = await runChaosScenario(broker, CI_CHAOS_OPTIONS);
    console.warn(formatChaosTable(report));

    // Exactly one effect per business key, none missing, nothing dead-lettered, the counters add
    // up, every re-sent message recognised as a duplicate, every consumer ended cleanly.
    expect(chaosViolations(report)).toEqual([]);
    expect(report.effects).toBe(CI_CHAOS_OPTIONS.messages);
    expect(report.brokerRestarts).toEqual(['kill', 'graceful', 'kill']);
    expect(report.consumerKills).toBe(2);
    expect(report.postgresRestarts).toBe(1);
    // The broker's restarts did bring acked messages back, so the test exercised deduplication.
    expect(report.redeliveries).toBeGreaterThan(0);
  }, 600_000);
});
