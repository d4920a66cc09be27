/**
 * IdemModule inside a real Nest application context: real Postgres, the RocketMQ gRPC peer,
 * handler classes as ordinary providers with constructor injection.
 */
import 'reflect-metadata';
import {
  Consumer,
  createDatabase,
  createIdemMetrics,
  type DispatchInstrumentation,
  type HandlerContext,
  Subscribe,
} from '@idem/core';
import { createTcpProducer } from '@idem/rocketmq-tcp';
import { type RocketMQPeer, startMqHttpPeer, startRocketMQPeer } from '@idem/testing';
import type { INestApplicationContext } from '@nestjs/common';
import { Global, Inject, Injectable, Module, Scope } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type Kysely, sql } from 'kysely';
import promClient from 'prom-client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  IDEM_DATABASE,
  IdemConsumers,
  IdemHealthIndicator,
  IdemModule,
  type IdemModuleOptions,
  IdemTransaction,
  type RunningConsumer,
} from '../src/index.js';
import { createEffectsTable, createNestTestSchemas, type NestTestSchemas } from './support/test-schema.js';

interface TestDb {
  effects: { key: string; note: string };
}

/** A Nest service writing through the injected accessor, not through a passed transaction. */
@Injectable()
class EffectsService {
  readonly notes: string[] = [];
  constructor(@Inject(IdemTransaction) private readonly transaction: IdemTransaction) {}

  async record(key: string, note: string): Promise<void> {
    await this.transaction.trx<TestDb>().insertInto('effects').values({ key, note }).execute();
    this.notes.push(note);
  }
}

/** Lets a test hold a handler mid-flight. */
@Injectable()
class Gate {
  readonly entered = deferred();
  readonly release = deferred();
  enabled = false;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => {};
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

@Consumer({ group: 'nest-billing' })
@Injectable()
class BillingHandlers {
  constructor(
    @Inject(EffectsService) private readonly effects: EffectsService,
    @Inject(Gate) private readonly gate: Gate,
  ) {}

  @Subscribe({ topic: 'orders', tag: 'created' })
  async onCreated(body: { id: string }, ctx: HandlerContext<TestDb>): Promise<void> {
    if (this.gate.enabled) {
      this.gate.entered.resolve();
      await this.gate.release.promise;
    }
    await this.effects.record(ctx.idempotencyKey, `invoice for ${body.id}`);
  }
}

const endpointsOf = (peer: RocketMQPeer) => peer.endpoints;

function transport(peer: RocketMQPeer): IdemModuleOptions['transports'][number] {
  return {
    kind: 'rocketmq-tcp',
    endpoints: endpointsOf(peer),
    consumerGroup: 'nest-billing',
    invisibleDurationMs: 2000,
    longPollingTimeoutMs: 1000,
  };
}

describe('IdemModule', () => {
  let schema: NestTestSchemas;
  let db: Kysely<TestDb>;
  let peer: RocketMQPeer;
  let app: INestApplicationContext | undefined;

  beforeAll(async () => {
    schema = await createNestTestSchemas(inject('databaseUrl'));
    db = createDatabase<TestDb>({ connectionString: schema.url, maxConnections: 4 });
    await createEffectsTable(db as Kysely<unknown>);
  });
  afterAll(async () => {
    await db.destroy();
    await schema.drop();
  });
  beforeEach(async () => {
    await sql`truncate effects`.execute(db);
    await sql`truncate ${sql.id(schema.idemSchema, 'processed_keys')}`.execute(db);
    peer = await startRocketMQPeer({ minInvisibleDurationMs: 1000 });
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
    await peer.stop();
  });

  async function boot(
    options: Partial<IdemModuleOptions> = {},
    extra: readonly object[] = [],
    imports: readonly object[] = [],
  ) {
    @Module({
      imports: [
        ...(imports as never[]),
        IdemModule.forRoot({
          database: { connectionString: schema.url, maxConnections: 4 },
          schema: schema.idemSchema,
          transports: [transport(peer)],
          ...options,
        }),
      ],
      providers: [EffectsService, Gate, BillingHandlers, ...(extra as never[])],
    })
    class AppModule {}
    app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    return app;
  }

  it('discovers @Consumer providers, injects their dependencies and writes each key once', async () => {
    const context = await boot();
    peer.duplicateDeliveries(1);
    for (let i = 0; i < 2; i += 1) {
      peer.publish({ topic: 'orders', tag: 'created', keys: ['order-1'], body: JSON.stringify({ id: '1' }) });
    }
    peer.publish({ topic: 'orders', tag: 'created', keys: ['order-2'], body: JSON.stringify({ id: '2' }) });
    await peer.idle('nest-billing', { timeoutMs: 30_000 });

    const rows = await db.selectFrom('effects').select(['key', 'note']).orderBy('key').execute();
    expect(rows).toEqual([
      { key: 'order-1', note: 'invoice for 1' },
      { key: 'order-2', note: 'invoice for 2' },
    ]);
    expect(context.get(EffectsService).notes).toHaveLength(2);
    const [consumer] = context.get(IdemConsumers).consumers;
    expect(consumer?.name).toBe('rocketmq-tcp:nest-billing');
    expect(consumer?.health().outcomes.duplicate).toBeGreaterThanOrEqual(2);
  });

  it('serves one group over gRPC and HTTP at once, with one idempotency scope', async () => {
    const httpPeer = await startMqHttpPeer();
    try {
      const context = await boot({
        transports: [
          transport(peer),
          {
            kind: 'rocketmq-http',
            endpoint: httpPeer.endpoint,
            accessKeyId: httpPeer.accessKeyId,
            accessKeySecret: httpPeer.accessKeySecret,
            consumerGroup: 'nest-billing',
            waitSeconds: 1,
          },
        ],
      });
      // The producer sent the same order through both brokers (say, during a migration).
      peer.publish({ topic: 'orders', tag: 'created', keys: ['order-6'], body: JSON.stringify({ id: '6' }) });
      httpPeer.publish({
        topic: 'orders',
        tag: 'created',
        keys: 'order-6',
        body: JSON.stringify({ id: '6' }),
      });
      await peer.idle('nest-billing', { timeoutMs: 30_000 });
      await httpPeer.idle('nest-billing', 'orders', { timeoutMs: 30_000 });

      expect(await db.selectFrom('effects').select('key').execute()).toEqual([{ key: 'order-6' }]);
      const consumers = context.get(IdemConsumers).consumers;
      expect(consumers.map((consumer) => consumer.name)).toEqual([
        'rocketmq-tcp:nest-billing',
        'rocketmq-http:nest-billing',
      ]);
      const outcomes = consumers.map((consumer) => consumer.health().outcomes);
      expect(outcomes.reduce((sum, counts) => sum + counts.processed, 0)).toBe(1);
      expect(outcomes.reduce((sum, counts) => sum + counts.duplicate, 0)).toBe(1);
      await context.close();
      app = undefined;
    } finally {
      await httpPeer.stop();
    }
  });

  it('counts every dispatch in the given metrics and runs the given instrumentation around it', async () => {
    const registry = new promClient.Registry();
    const metrics = createIdemMetrics({ registry, promClient });
    const traced: string[] = [];
    const instrumentation: DispatchInstrumentation = {
      around: (message, run) => {
        traced.push(message.keys[0] ?? '');
        return run();
      },
      onResult: () => {},
    };
    await boot({ metrics, instrumentation });
    peer.publish({ topic: 'orders', tag: 'created', keys: ['order-5'], body: JSON.stringify({ id: '5' }) });
    await peer.idle('nest-billing', { timeoutMs: 30_000 });

    const exposition = await registry.metrics();
    expect(exposition).toMatch(
      /idem_messages_total\{consumer_group="nest-billing",topic="orders",outcome="processed"\} 1/,
    );
    expect(exposition).toMatch(/idem_broker_connected\{consumer_group="nest-billing"\} 1/);
    expect(traced).toEqual(['order-5']);
  });

  it("sends with ctx.send and IdemTransaction.send through the transport's producer once the handler commits", async () => {
    @Injectable()
    class Announcer {
      constructor(@Inject(IdemTransaction) private readonly transaction: IdemTransaction) {}

      async announce(id: string): Promise<void> {
        await this.transaction.send({ topic: 'billing-events', tag: 'announced', body: { id } });
      }
    }
    @Consumer({ group: 'nest-billing' })
    @Injectable()
    class PaymentHandlers {
      constructor(@Inject(Announcer) private readonly announcer: Announcer) {}

      @Subscribe({ topic: 'payments', tag: 'received' })
      async onPayment(body: { id: string }, ctx: HandlerContext<TestDb>): Promise<void> {
        await ctx.trx
          .insertInto('effects')
          .values({ key: ctx.idempotencyKey, note: `paid ${body.id}` })
          .execute();
        await ctx.send({ topic: 'billing-events', tag: 'paid', body: { id: body.id } });
        await this.announcer.announce(body.id);
      }
    }
    const registry = new promClient.Registry();
    const metrics = createIdemMetrics({ registry, promClient });
    await boot(
      {
        metrics,
        transports: [{ ...transport(peer), producer: createTcpProducer({ endpoints: peer.endpoints }) }],
      },
      [Announcer, PaymentHandlers],
    );
    peer.duplicateDeliveries(1);
    peer.publish({ topic: 'payments', tag: 'received', keys: ['pay-1'], body: JSON.stringify({ id: '1' }) });
    await peer.idle('nest-billing', { timeoutMs: 30_000 });

    await expect
      .poll(() => peer.messages('billing-events').map((message) => [message.tag, message.keys]), {
        timeout: 15_000,
      })
      .toEqual([
        ['paid', ['nest-billing/pay-1/billing-events/1']],
        ['announced', ['nest-billing/pay-1/billing-events/2']],
      ]);
    expect(JSON.parse(peer.messages('billing-events')[0]?.body.toString() ?? '')).toEqual({ id: '1' });
    await expect
      .poll(async () => await registry.metrics())
      .toMatch(new RegExp(`idem_outbox_sent_total\\{schema="${schema.idemSchema}"\\} 2`));
  });

  it('reports every consumer to terminus as up while running and down after shutdown', async () => {
    const context = await boot();
    const indicator = context.get(IdemHealthIndicator);
    await expect.poll(async () => (await indicator.isHealthy('billing')).billing.status).toBe('up');
    const result = await indicator.isHealthy('billing');
    expect(result.billing.consumers['rocketmq-tcp:nest-billing']).toMatchObject({
      consumerGroup: 'nest-billing',
      kind: 'rocketmq-tcp',
      ready: true,
      brokerReachable: true,
      databaseReachable: true,
    });
    await context.close();
    app = undefined;
    expect((await indicator.isHealthy()).idem).toEqual({ status: 'down', consumers: {} });
  });

  it('finishes and acks an in-flight message when the application closes', async () => {
    const context = await boot();
    const gate = context.get(Gate);
    gate.enabled = true;
    const consumers: readonly RunningConsumer[] = context.get(IdemConsumers).consumers;
    peer.publish({ topic: 'orders', tag: 'created', keys: ['order-9'], body: JSON.stringify({ id: '9' }) });
    await gate.entered.promise;

    const closing = context.close();
    app = undefined;
    // The consumer is draining, not gone: the handler still holds its transaction open.
    await expect.poll(() => consumers[0]?.health().status).toBe('stopping');
    gate.release.resolve();
    await closing;

    expect(consumers.map((consumer) => consumer.health().status)).toEqual(['stopped']);
    expect(await db.selectFrom('effects').select('key').execute()).toEqual([{ key: 'order-9' }]);
    expect(peer.stats().acks).toBe(1);
  });

  it('closes at once while its consumers wait for an unreachable Postgres at start', async () => {
    // Nothing listens on port 1: by default the consumer waits for Postgres inside start().
    const context = await boot({
      database: { connectionString: 'postgres://postgres@127.0.0.1:1/none', maxConnections: 1 },
      autoStart: false,
    });
    const consumers = context.get(IdemConsumers);
    const started = consumers.start().then(
      () => undefined,
      (error: unknown) => error,
    );
    await expect.poll(() => consumers.consumers[0]?.health().status, { timeout: 30_000 }).toBe('starting');
    await context.close();
    app = undefined;
    expect(await started).toMatchObject({ code: 'STARTUP_FAILED' });
    expect(consumers.consumers).toEqual([]);
  });

  it('uses the application database provider given by token, and leaves it open', async () => {
    const APP_DB = Symbol('APP_DB');
    const own = createDatabase<unknown>({ connectionString: schema.url, maxConnections: 2 });
    try {
      // The application's database module, global as such modules usually are, so IdemModule sees it.
      @Global()
      @Module({ providers: [{ provide: APP_DB, useValue: own }], exports: [APP_DB] })
      class AppDatabaseModule {}
      const context = await boot({ database: { useExisting: APP_DB } }, [], [AppDatabaseModule]);
      expect(context.get(IDEM_DATABASE)).toBe(own);
      peer.publish({ topic: 'orders', tag: 'created', keys: ['order-3'], body: JSON.stringify({ id: '3' }) });
      await peer.idle('nest-billing', { timeoutMs: 30_000 });
      await context.close();
      app = undefined;
      const rows = await own
        .selectFrom('effects' as never)
        .selectAll()
        .execute();
      expect(rows).toHaveLength(1);
    } finally {
      await own.destroy();
    }
  });

  it('builds its options with forRootAsync from injected providers', async () => {
    const SETTINGS = Symbol('SETTINGS');
    @Module({ providers: [{ provide: SETTINGS, useValue: { url: schema.url } }], exports: [SETTINGS] })
    class SettingsModule {}
    @Module({
      imports: [
        IdemModule.forRootAsync({
          imports: [SettingsModule],
          inject: [SETTINGS],
          useFactory: async (settings: { url: string }) => ({
            database: { connectionString: settings.url, maxConnections: 2 },
            schema: schema.idemSchema,
            transports: [transport(peer)],
          }),
        }),
      ],
      providers: [EffectsService, Gate, BillingHandlers],
    })
    class AsyncAppModule {}
    app = await NestFactory.createApplicationContext(AsyncAppModule, { logger: false, abortOnError: false });
    peer.publish({ topic: 'orders', tag: 'created', keys: ['order-4'], body: JSON.stringify({ id: '4' }) });
    await peer.idle('nest-billing', { timeoutMs: 30_000 });
    expect(await db.selectFrom('effects').select('key').execute()).toEqual([{ key: 'order-4' }]);
  });

  it('refuses to start a request-scoped handler', async () => {
    @Consumer({ group: 'nest-billing' })
    @Injectable({ scope: Scope.REQUEST })
    class RequestScopedHandlers {
      @Subscribe({ topic: 'payments' })
      async onPayment(): Promise<void> {}
    }
    await expect(boot({}, [RequestScopedHandlers])).rejects.toMatchObject({
      code: 'INVALID_HANDLER',
      message: expect.stringMatching(/RequestScopedHandlers.*singletons/),
    });
  });

  it('gives every transport the module-wide processor policies', async () => {
    // The processor checks the policy it is given: a module value that did not reach it would pass.
    await expect(boot({ onMessageGroupDeadLetter: 'skip' as 'continue' })).rejects.toMatchObject({
      code: 'INVALID_CONFIGURATION',
      message: expect.stringMatching(/option onMessageGroupDeadLetter must be/),
    });
  });

  it('refuses to start a transient handler', async () => {
    @Consumer({ group: 'nest-billing' })
    @Injectable({ scope: Scope.TRANSIENT })
    class TransientHandlers {
      @Subscribe({ topic: 'payments' })
      async onPayment(): Promise<void> {}
    }
    await expect(boot({}, [TransientHandlers])).rejects.toMatchObject({ code: 'INVALID_HANDLER' });
  });

  it('refuses to start when a handler belongs to no configured transport', async () => {
    @Consumer({ group: 'shipping' })
    @Injectable()
    class ShippingHandlers {
      @Subscribe({ topic: 'shipments' })
      async onShipment(): Promise<void> {}
    }
    await expect(boot({}, [ShippingHandlers])).rejects.toMatchObject({
      code: 'INVALID_CONFIGURATION',
      message: expect.stringMatching(/no transport serves ShippingHandlers/),
    });
  });
});
