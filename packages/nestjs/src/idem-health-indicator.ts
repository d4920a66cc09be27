import type { ConsumerHealth } from '@idem/core';
import { Inject, Injectable } from '@nestjs/common';
import { IdemConsumers } from './idem-consumers.js';

/** One consumer's entry in {@link IdemHealthIndicator}'s result. */
export interface IdemConsumerHealthDetail {
  readonly consumerGroup: string;
  readonly kind: string;
  readonly status: ConsumerHealth['status'];
  readonly ready: boolean;
  readonly brokerReachable: boolean;
  readonly databaseReachable: boolean;
  readonly inFlight: number;
}

/**
 * A terminus health indicator result (`HealthIndicatorResult` of `@nestjs/terminus` 11 and 12),
 * typed structurally so `@idem/nestjs` does not need terminus installed.
 */
export type IdemHealthResult<Key extends string = string> = Record<
  Key,
  { status: 'up' | 'down'; consumers: Record<string, IdemConsumerHealthDetail> }
>;

/**
 * Reports every Idem consumer's `health()` to `@nestjs/terminus`: `up` only when all of them are
 * running with broker and database reachable (`ready`), which is what a readiness probe wants.
 * A `down` result fails terminus's `HealthCheckService.check` (HTTP 503) without throwing.
 *
 * @example
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.idem.isHealthy('idem')]); }
 * ```
 */
@Injectable()
export class IdemHealthIndicator {
  constructor(@Inject(IdemConsumers) private readonly consumers: IdemConsumers) {}

  /** The indicator under `key` (default `idem`). Down when no consumer runs (before bootstrap, after shutdown). */
  isHealthy<const Key extends string = 'idem'>(key: Key = 'idem' as Key): Promise<IdemHealthResult<Key>> {
    const running = this.consumers.consumers;
    const consumers: Record<string, IdemConsumerHealthDetail> = {};
    for (const consumer of running) {
      const health = consumer.health();
      consumers[consumer.name] = {
        consumerGroup: consumer.consumerGroup,
        kind: consumer.kind,
        status: health.status,
        ready: health.ready,
        brokerReachable: health.broker.reachable,
        databaseReachable: health.database.reachable,
        inFlight: health.inFlight,
      };
    }
    const up = running.length > 0 && Object.values(consumers).every((detail) => detail.ready);
    return Promise.resolve({ [key]: { status: up ? 'up' : 'down', consumers } } as IdemHealthResult<Key>);
  }
}
