import { describe, expect, it } from 'vitest';
import { CI_CHAOS_OPTIONS } from './chaos/chaos-options.js';
import { planChaosFaults } from './chaos/chaos-plan.js';
import { chaosWorkload } from './chaos/chaos-workload.js';
import { parseChaosArgs } from './chaos/parse-chaos-args.js';

describe('pnpm chaos options and fault plan', () => {
  it('keeps the CI run: broker kill, consumer A, Postgres, broker graceful, consumer B, broker kill', () => {
    const plan = planChaosFaults(CI_CHAOS_OPTIONS);
    expect(
      plan.map((fault) =>
        fault.kind === 'broker'
          ? fault.mode
          : fault.kind === 'consumer'
            ? `consumer ${fault.slot}`
            : 'postgres',
      ),
    ).toEqual(['kill', 'consumer 0', 'postgres', 'graceful', 'consumer 1', 'kill']);
    expect(plan[0]?.at).toBeCloseTo(0.08);
    expect(plan.at(-1)?.at).toBeCloseTo(0.72);
  });

  it('reads the scale and faults of a long run from the command line', () => {
    const options = parseChaosArgs([
      ...['--messages', '100000', '--broker-restarts', '5', '--restart-kinds', 'kill,graceful'],
      ...['--consumer-kills', '5', '--postgres-restarts', '2', '--resend-ratio', '0.02'],
    ]);
    if (options === 'help') throw new Error('parsed as --help');
    expect(options).toMatchObject({
      messages: 100_000,
      brokerRestarts: 5,
      consumerKills: 5,
      postgresRestarts: 2,
    });
    const plan = planChaosFaults(options);
    expect(plan).toHaveLength(12);
    expect(
      plan.filter((fault) => fault.kind === 'broker').map((fault) => 'mode' in fault && fault.mode),
    ).toEqual(['kill', 'graceful', 'kill', 'graceful', 'kill']);
    expect(
      plan.filter((fault) => fault.kind === 'consumer').map((fault) => 'slot' in fault && fault.slot),
    ).toEqual([0, 1, 0, 1, 0]);
    expect(chaosWorkload('t', options.messages, options.resendRatio).resendIndexes.size).toBe(2000);
  });

  it('refuses an unknown restart kind or a ratio above 1, naming the option', () => {
    expect(() => parseChaosArgs(['--restart-kinds', 'kill,pause'])).toThrow(/--restart-kinds/);
    expect(() => parseChaosArgs(['--resend-ratio', '2'])).toThrow(/--resend-ratio/);
    expect(() => parseChaosArgs(['--messages', 'many'])).toThrow(/--messages/);
  });
});
