import { IdemError } from '@idem/core';
import { isConsumerClass } from '@idem/core/integration';
import { Inject, Injectable } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';

/**
 * Finds the application's Idem handlers: every provider, in any module, whose instance's class
 * is decorated with `@Consumer`. The decorators only recorded metadata; this is the one place
 * that reads which providers carry it.
 */
@Injectable()
export class IdemHandlerExplorer {
  constructor(@Inject(DiscoveryService) private readonly discovery: DiscoveryService) {}

  /**
   * The handler instances, each once. Throws `INVALID_HANDLER` for a request-scoped or transient
   * handler: a message is not a request, and Idem needs one long-lived instance per class.
   */
  explore(): object[] {
    const found = new Set<object>();
    for (const wrapper of this.discovery.getProviders()) {
      const { metatype, name } = wrapper;
      const singleton = wrapper.isDependencyTreeStatic() && !wrapper.isTransient;
      if (typeof metatype === 'function' && isConsumerClass(metatype) && !singleton) {
        throw new IdemError(
          'INVALID_HANDLER',
          `${String(name)} is a request-scoped or transient provider (or depends on one): Idem handlers must be singletons; inject IdemTransaction instead of request-scoped state`,
        );
      }
      if (!singleton) continue;
      const instance: unknown = wrapper.instance;
      if (typeof instance !== 'object' || instance === null) continue;
      if (isConsumerClass(instance.constructor)) found.add(instance);
    }
    return [...found];
  }
}
