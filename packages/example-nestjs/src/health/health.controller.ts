import { IdemHealthIndicator } from '@idem/nestjs';
import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, type HealthCheckResult, HealthCheckService } from '@nestjs/terminus';

/** `GET /health`: 200 while every Idem consumer is running with broker and database reachable, else 503. */
@Controller('health')
export class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(IdemHealthIndicator) private readonly idem: IdemHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check(): Promise<HealthCheckResult> {
    return this.health.check([() => this.idem.isHealthy('idem')]);
  }
}
