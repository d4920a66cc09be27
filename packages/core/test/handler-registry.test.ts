import { describe, expect, it } from 'vitest';
import { Consumer, Subscribe } from '../src/decorators/handler-metadata.js';
import { buildHandlerRegistry } from '../src/handler-registry.js';

@Consumer({ group: 'billing' })
class Billing {
  @Subscribe({ topic: 'orders', tag: 'created || paid' })
  onOrder(): void {}
  @Subscribe({ topic: 'refunds' })
  onRefund(): void {}
}

describe('buildHandlerRegistry', () => {
  it('routes by topic and tag and subscribes to the union of tags per topic', () => {
    const registry = buildHandlerRegistry([new Billing()]);
    expect(registry.consumerGroup).toBe('billing');
    expect(registry.resolve('orders', 'paid')?.handlerName).toBe('Billing.onOrder');
    expect(registry.resolve('orders', 'cancelled')).toBeUndefined();
    expect(registry.resolve('refunds', undefined)?.handlerName).toBe('Billing.onRefund');
    expect(registry.subscriptions).toEqual([
      { topic: 'orders', tagExpression: 'created||paid' },
      { topic: 'refunds', tagExpression: '*' },
    ]);
  });

  it('rejects two handlers for the same topic and tag in one group', () => {
    @Consumer({ group: 'billing' })
    class Again {
      @Subscribe({ topic: 'orders', tag: 'paid' })
      onPaid(): void {}
    }
    expect(() => buildHandlerRegistry([new Billing(), new Again()])).toThrow(
      expect.objectContaining({
        code: 'DUPLICATE_ROUTE',
        message: expect.stringMatching(/Billing.onOrder and Again.onPaid/),
      }),
    );
  });

  it('rejects a method without a topic', () => {
    @Consumer({ group: 'g' })
    class NoTopic {
      @Subscribe({ topic: '' })
      handle(): void {}
    }
    expect(() => buildHandlerRegistry([new NoTopic()])).toThrow(
      expect.objectContaining({
        code: 'INVALID_HANDLER',
        message: expect.stringMatching(/NoTopic.handle has no topic/),
      }),
    );
  });

  it('rejects a class without subscriptions', () => {
    @Consumer({ group: 'g' })
    class Empty {}
    expect(() => buildHandlerRegistry([new Empty()])).toThrow(
      expect.objectContaining({
        code: 'INVALID_HANDLER',
        message: expect.stringMatching(/Empty has no @Subscribe/),
      }),
    );
  });

  it('rejects a key that is not a function', () => {
    @Consumer({ group: 'g' })
    class BadKey {
      @Subscribe({ topic: 't', key: 'orderId' as never })
      handle(): void {}
    }
    expect(() => buildHandlerRegistry([new BadKey()])).toThrow(
      expect.objectContaining({ code: 'INVALID_HANDLER' }),
    );
  });

  it('rejects a malformed tag expression', () => {
    @Consumer({ group: 'g' })
    class BadTag {
      @Subscribe({ topic: 't', tag: 'a || ' })
      handle(): void {}
    }
    expect(() => buildHandlerRegistry([new BadTag()])).toThrow(
      expect.objectContaining({
        code: 'INVALID_HANDLER',
        message: expect.stringMatching(/BadTag.handle: tag expression/),
      }),
    );
  });

  it('rejects an undecorated class and a class passed instead of an instance', () => {
    class Plain {}
    expect(() => buildHandlerRegistry([new Plain()])).toThrow(
      expect.objectContaining({ code: 'INVALID_HANDLER' }),
    );
    expect(() => buildHandlerRegistry([Billing])).toThrow(
      expect.objectContaining({ code: 'INVALID_HANDLER' }),
    );
  });

  it('requires a consumer group and rejects conflicting ones', () => {
    @Consumer()
    class Groupless {
      @Subscribe({ topic: 't' })
      handle(): void {}
    }
    expect(() => buildHandlerRegistry([new Groupless()])).toThrow(
      expect.objectContaining({ code: 'CONSUMER_GROUP_MISSING' }),
    );
    expect(buildHandlerRegistry([new Groupless()], 'shipping').consumerGroup).toBe('shipping');
    expect(() => buildHandlerRegistry([new Billing()], 'shipping')).toThrow(
      expect.objectContaining({ code: 'CONSUMER_GROUP_CONFLICT' }),
    );
  });

  it('rejects an empty handler list', () => {
    expect(() => buildHandlerRegistry([], 'g')).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIGURATION' }),
    );
  });

  it('keeps subscriptions of a base class for its subclasses', () => {
    @Consumer({ group: 'billing' })
    class Derived extends Billing {}
    expect(buildHandlerRegistry([new Derived()]).resolve('refunds', 'x')?.handlerName).toBe(
      'Derived.onRefund',
    );
  });

  it("adds a subclass's own subscriptions to its base class's", () => {
    @Consumer({ group: 'billing' })
    class Extended extends Billing {
      @Subscribe({ topic: 'invoices' })
      onInvoice(): void {}
    }
    const registry = buildHandlerRegistry([new Extended()]);
    expect(registry.routes.map((route) => route.handlerName).sort()).toEqual([
      'Extended.onInvoice',
      'Extended.onOrder',
      'Extended.onRefund',
    ]);
  });
});
