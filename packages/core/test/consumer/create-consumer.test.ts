import type { Kysely } from 'kysely';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { buildProcessorFromConfig } from '../../src/cli/build-processor-from-config.js';
import type { ConsumerLoopOptions } from '../../src/consumer/consumer-loop-options.js';
import type { ConsumerProducerOptions } from '../../src/consumer/consumer-outbox.js';
import { createConsumerRuntime } from '../../src/consumer/consumer-runtime.js';
import { createConsumer, type IdemConsumerOptions } from '../../src/consumer/create-consumer.js';
import { createProcessor, type ProcessorOptions } from '../../src/create-processor.js';
import { IdemError } from '../../src/errors.js';
import type { IdemConfig } from '../../src/operations/idem-config.js';
import { type ProcessorPolicyOptions, pickProcessorPolicy } from '../../src/processor-policy-options.js';
import { QueueSource } from '../observability/support/queue-source.js';
import { type OrderCreated, OrderHandlers } from '../support/handlers.js';
import { inboundMessage } from '../support/messages.js';
import { useTestDatabase } from '../support/test-database.js';

function thrownBy(build: () => unknown): IdemError {
  try {
    build();
  } catch (error) {
    if (error instanceof IdemError) return error;
    throw error;
  }
  throw new Error('expected an IdemError, nothing was thrown');
}

// Values a type would refuse, as JavaScript callers and config files can pass them.
const INVALID_OPTIONS: readonly [string, ConsumerLoopOptions & ProcessorPolicyOptions, RegExp][] = [
  ['an unknown mode', { mode: 'bulk' as 'batch' }, /option mode must be 'single' or 'batch', got "bulk"/],
  ['a negative shutdown timeout', { shutdownTimeoutMs: -1 }, /option shutdownTimeoutMs must be a number/],
  [
    'a shutdown timeout that is not a number',
    { shutdownTimeoutMs: '30s' as unknown as number },
    /shutdownTimeoutMs/,
  ],
  ['zero concurrency', { concurrency: 0 }, /option concurrency must be an integer >= 1, got 0/],
  ['a fractional batch size', { batchSize: 1.5 }, /option batchSize must be an integer >= 1/],
  [
    'an unknown start-up policy',
    { onDatabaseUnavailableAtStart: 'retry' as 'wait' },
    /onDatabaseUnavailableAtStart/,
  ],
  [
    'an onEvent that is not a function',
    { onEvent: 'log' as unknown as () => void },
    /option onEvent must be a function/,
  ],
  [
    'a retry delay that is not a function',
    { retryDelayMs: 1000 as unknown as () => number },
    /option retryDelayMs/,
  ],
  [
    'an unknown message-group policy',
    { onMessageGroupDeadLetter: 'skip' as 'continue' },
    /option onMessageGroupDeadLetter must be 'quarantine' or 'continue', got "skip"/,
  ],
  [
    'an unknown payload-mismatch policy',
    { onPayloadMismatch: 'warn' as 'ignore' },
    /option onPayloadMismatch/,
  ],
];

describe('createConsumer', () => {
  const database = useTestDatabase();
  const base = () => ({
    db: database().db,
    schema: database().schema,
    handlers: [new OrderHandlers()],
    consumerGroup: 'billing',
  });

  it.each(INVALID_OPTIONS)(
    'rejects %s with INVALID_CONFIGURATION naming the option',
    (_name, override, message) => {
      const error = thrownBy(() => createConsumer({ ...base(), source: new QueueSource(), ...override }));
      expect(error.code).toBe('INVALID_CONFIGURATION');
      expect(error.message).toMatch(message);
    },
  );

  it('checks the options before it builds the source', () => {
    let built = 0;
    const source = () => {
      built += 1;
      return new QueueSource();
    };
    expect(() => createConsumer({ ...base(), source, mode: 'bulk' as 'batch' })).toThrow(IdemError);
    expect(built).toBe(0);
  });

  it('refuses a batch size above what the source can return, naming the limit', () => {
    const error = thrownBy(() =>
      createConsumer({ ...base(), source: new QueueSource(), maxBatchSize: 16, batchSize: 17 }),
    );
    expect(error.message).toMatch(/option batchSize must be an integer from 1 to 16, got 17/);
  });

  it('builds the source from the processor, then receives, dispatches and acks through it', async () => {
    const source = new QueueSource();
    const consumer = createConsumer({
      ...base(),
      source: (processor) => {
        expect(processor.subscriptions).toEqual([{ topic: 'orders', tagExpression: 'created' }]);
        return source;
      },
    });
    const message = inboundMessage({ json: { orderId: 'o-1', amount: 3 } satisfies OrderCreated });
    source.push(message);
    await consumer.start();
    try {
      await expect.poll(() => source.acked).toEqual([message.messageId]);
      expect(consumer.health().outcomes.processed).toBe(1);
      expect(consumer.processor.consumerGroup).toBe('billing');
    } finally {
      await consumer.stop();
    }
  });
});

describe('createConsumerRuntime', () => {
  const database = useTestDatabase();

  it('rejects an unknown mode instead of running it as single', () => {
    const processor = createProcessor({
      db: database().db,
      schema: database().schema,
      handlers: [new OrderHandlers()],
      consumerGroup: 'billing',
    });
    const error = thrownBy(() =>
      createConsumerRuntime({ source: new QueueSource(), processor, mode: 'batches' as 'batch' }),
    );
    expect(error.code).toBe('INVALID_CONFIGURATION');
    expect(error.message).toMatch(/option mode/);
  });
});

describe('the idem CLI processor', () => {
  const database = useTestDatabase();
  // The CLI's database is untyped: it knows nothing of the service's tables.
  const untypedDb = () => database().db as unknown as Kysely<unknown>;

  it("takes the config's message-group policy, as the service's consumer does", async () => {
    const config: IdemConfig = {
      consumerGroup: 'billing',
      handlers: () => [new OrderHandlers()],
      onMessageGroupDeadLetter: 'skip' as 'continue',
    };
    // The processor checks the policy it is given: a config value that did not reach it would pass.
    await expect(
      buildProcessorFromConfig('idem.config.js', config, untypedDb(), database().schema),
    ).rejects.toThrow(/onMessageGroupDeadLetter must be 'quarantine' or 'continue'/);
    const accepted = await buildProcessorFromConfig(
      'idem.config.js',
      { ...config, onMessageGroupDeadLetter: 'continue' },
      untypedDb(),
      database().schema,
    );
    expect(accepted.consumerGroup).toBe('billing');
  });
});

describe('one option vocabulary', () => {
  it('lets every entry point take every processor policy', () => {
    expectTypeOf<keyof ProcessorPolicyOptions>().toExtend<keyof IdemConfig>();
    expectTypeOf<keyof ProcessorPolicyOptions>().toExtend<keyof ProcessorOptions>();
    // Every processor option is a policy, or what the CLI supplies itself, or a hook of a running service.
    type SuppliedOrHook = 'db' | 'handlers' | 'consumerGroup' | 'logger' | 'onResult' | 'instrumentation';
    expectTypeOf<Exclude<keyof ProcessorOptions, SuppliedOrHook>>().toEqualTypeOf<
      keyof ProcessorPolicyOptions
    >();
    expectTypeOf<
      keyof ProcessorOptions | keyof ConsumerLoopOptions | keyof ConsumerProducerOptions
    >().toEqualTypeOf<keyof IdemConsumerOptions>();
  });

  it('forwards exactly the policies that are set', () => {
    expect(
      pickProcessorPolicy({
        schema: 'billing_idem',
        onMessageGroupDeadLetter: 'continue',
        // A key that is not a policy is left behind.
        ...({ consumerGroup: 'billing' } as object),
      }),
    ).toEqual({ schema: 'billing_idem', onMessageGroupDeadLetter: 'continue' });
  });
});
