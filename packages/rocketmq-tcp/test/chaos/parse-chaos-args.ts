import { parseArgs } from 'node:util';
import { type BrokerRestartKind, type ChaosOptions, CI_CHAOS_OPTIONS } from './chaos-options.js';

/** `pnpm chaos --help`. */
export const CHAOS_USAGE = `pnpm chaos [options]   (real RocketMQ broker; defaults: the CI test's run)
  --messages N               orders to publish (${CI_CHAOS_OPTIONS.messages})
  --resend-ratio R           share of orders sent twice by the producer (${CI_CHAOS_OPTIONS.resendRatio})
  --consumers N              consumer processes in the group (${CI_CHAOS_OPTIONS.consumers})
  --broker-restarts N        broker restarts (${CI_CHAOS_OPTIONS.brokerRestarts})
  --restart-kinds K,K        kinds used in turn: kill, graceful (${CI_CHAOS_OPTIONS.brokerRestartKinds.join(',')})
  --broker-down-ms MS        how long the broker stays down (${CI_CHAOS_OPTIONS.brokerDownMs})
  --consumer-kills N         consumer kill -9s, each started again (${CI_CHAOS_OPTIONS.consumerKills})
  --postgres-restarts N      Postgres restarts (${CI_CHAOS_OPTIONS.postgresRestarts})
  --postgres-down-ms MS      how long Postgres stays down (${CI_CHAOS_OPTIONS.postgresDownMs})
  --step-timeout-ms MS       give up when one step makes no progress this long (${CI_CHAOS_OPTIONS.stepTimeoutMs})`;

const NUMBERS = {
  messages: 'messages',
  'resend-ratio': 'resendRatio',
  consumers: 'consumers',
  'broker-restarts': 'brokerRestarts',
  'broker-down-ms': 'brokerDownMs',
  'consumer-kills': 'consumerKills',
  'postgres-restarts': 'postgresRestarts',
  'postgres-down-ms': 'postgresDownMs',
  'step-timeout-ms': 'stepTimeoutMs',
} as const satisfies Record<string, keyof ChaosOptions>;

/** Reads `pnpm chaos`'s arguments over the CI defaults; throws with the usage on a bad one. */
export function parseChaosArgs(args: readonly string[]): ChaosOptions | 'help' {
  const { values } = parseArgs({
    args: [...args],
    options: {
      ...Object.fromEntries(Object.keys(NUMBERS).map((name) => [name, { type: 'string' as const }])),
      'restart-kinds': { type: 'string' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help === true) return 'help';
  const options: Record<string, unknown> = { ...CI_CHAOS_OPTIONS };
  for (const [flag, key] of Object.entries(NUMBERS)) {
    const text = (values as Record<string, string | boolean | undefined>)[flag];
    if (typeof text !== 'string') continue;
    const value = Number(text);
    const isRatio = key === 'resendRatio';
    if (!Number.isFinite(value) || value < 0 || (isRatio ? value > 1 : !Number.isInteger(value))) {
      throw new Error(
        `--${flag} must be ${isRatio ? 'between 0 and 1' : 'a whole number >= 0'}, got ${text}\n${CHAOS_USAGE}`,
      );
    }
    options[key] = value;
  }
  const kinds = values['restart-kinds'];
  if (typeof kinds === 'string') {
    const list = kinds.split(',').map((kind) => kind.trim());
    if (list.length === 0 || list.some((kind) => kind !== 'kill' && kind !== 'graceful')) {
      throw new Error(
        `--restart-kinds takes kill and graceful, comma-separated, got ${kinds}\n${CHAOS_USAGE}`,
      );
    }
    options.brokerRestartKinds = list as BrokerRestartKind[];
  }
  if ((options.consumers as number) < 1) throw new Error(`--consumers must be at least 1\n${CHAOS_USAGE}`);
  return options as unknown as ChaosOptions;
}
