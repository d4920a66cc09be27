import type { IdemConsumerOptions, ProcessorPolicyOptions } from '@idem/core';
import { describe, expectTypeOf, it } from 'vitest';
import type { IdemHttpTransportOptions, IdemModuleOptions, IdemTcpTransportOptions } from '../src/index.js';

describe('IdemModule options', () => {
  it('take every processor policy module-wide and every consumer option per transport', () => {
    expectTypeOf<keyof ProcessorPolicyOptions>().toExtend<keyof IdemModuleOptions>();
    // The module supplies the database and the discovered handlers itself.
    type PerTransport = Exclude<keyof IdemConsumerOptions, 'db' | 'handlers'>;
    expectTypeOf<PerTransport>().toExtend<keyof IdemTcpTransportOptions>();
    expectTypeOf<PerTransport>().toExtend<keyof IdemHttpTransportOptions>();
  });
});
