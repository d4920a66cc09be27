import 'reflect-metadata';
import { Consumer, Subscribe } from '@idem/core';
import { describe, expect, it } from 'vitest';
import { assignHandlers } from '../src/assign-handlers.js';
import type { IdemTransportOptions } from '../src/idem-module-options.js';

@Consumer({ group: 'billing' })
class Billing {
  @Subscribe({ topic: 'orders' })
  async on(): Promise<void> {}
}
@Consumer()
class Audit {
  @Subscribe({ topic: 'audit' })
  async on(): Promise<void> {}
}
@Consumer({ group: 'shipping' })
class Shipping {
  @Subscribe({ topic: 'orders' })
  async on(): Promise<void> {}
}

const tcp = (consumerGroup: string, extra: Partial<IdemTransportOptions> = {}): IdemTransportOptions =>
  ({ kind: 'rocketmq-tcp', endpoints: '127.0.0.1:1', consumerGroup, ...extra }) as IdemTransportOptions;

describe('assignHandlers', () => {
  const billing = new Billing();
  const audit = new Audit();
  const shipping = new Shipping();

  it('gives each transport the handlers of its consumer group and those naming none', () => {
    expect(assignHandlers([tcp('billing'), tcp('shipping')], [billing, audit, shipping])).toEqual([
      [billing, audit],
      [audit, shipping],
    ]);
  });

  it('serves one group over both protocols with one idempotency scope', () => {
    const http = { ...tcp('billing'), kind: 'rocketmq-http' } as unknown as IdemTransportOptions;
    expect(assignHandlers([tcp('billing'), http], [billing])).toEqual([[billing], [billing]]);
  });

  it('takes the classes a transport names over the group rule', () => {
    expect(
      assignHandlers([tcp('billing', { handlers: [Audit] }), tcp('shipping')], [audit, shipping]),
    ).toEqual([[audit], [shipping]]);
  });

  it('fails fast when a transport would serve nothing', () => {
    expect(() => assignHandlers([tcp('billing'), tcp('payments')], [billing])).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIGURATION',
        message: expect.stringMatching(/rocketmq-tcp:payments has no handlers/),
      }),
    );
  });

  it('fails fast when a handler would never run', () => {
    expect(() => assignHandlers([tcp('billing')], [billing, shipping])).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/no transport serves Shipping/) }),
    );
  });

  it('needs at least one transport', () => {
    expect(() => assignHandlers([], [billing])).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIGURATION' }),
    );
  });
});
