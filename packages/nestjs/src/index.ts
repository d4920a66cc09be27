/**
 * `@idem/nestjs`: Idem consumers embedded in NestJS applications. Handler classes are ordinary
 * providers; `IdemModule` discovers them and runs them on the configured transports for the
 * application's lifetime.
 *
 * @packageDocumentation
 */
export type { RunningConsumer } from './create-transport-consumer.js';
export { IdemConsumers } from './idem-consumers.js';
export { IdemHandlerExplorer } from './idem-handler-explorer.js';
export {
  type IdemConsumerHealthDetail,
  IdemHealthIndicator,
  type IdemHealthResult,
} from './idem-health-indicator.js';
export { IdemModule } from './idem-module.js';
export type {
  IdemDatabaseOption,
  IdemHttpTransportOptions,
  IdemModuleAsyncOptions,
  IdemModuleOptions,
  IdemTcpTransportOptions,
  IdemTransportOptions,
} from './idem-module-options.js';
export { IDEM_DATABASE, IDEM_MODULE_OPTIONS } from './idem-tokens.js';
export { IdemTransaction } from './idem-transaction.js';
export { type NestLoggerBridgeOptions, nestLoggerBridge } from './nest-logger-bridge.js';
