/**
 * `@idem/core/integration`: what a framework integration (such as `@idem/nestjs`) or a tool that
 * hosts handler classes needs beside the root entry.
 *
 * The decorators record metadata under private symbols; these readers are the only way to see
 * it. {@link buildHandlerRegistry} validates handler instances the way every processor does, and
 * {@link pickProcessorPolicy} forwards exactly the policy options every entry point shares.
 * {@link loadIdemConfig} reads the `idem.config.js` the `idem` CLI reads.
 *
 * @packageDocumentation
 * @module @idem/core/integration
 */
export {
  isConsumerClass,
  readConsumerMetadata,
  readSubscriptionMetadata,
  type SubscriptionMetadata,
} from './decorators/handler-metadata.js';
export { buildHandlerRegistry, type HandlerRegistry, type Route } from './handler-registry.js';
export {
  DEFAULT_CONFIG_FILES,
  type LoadedIdemConfig,
  loadIdemConfig,
} from './operations/load-idem-config.js';
export { pickProcessorPolicy } from './processor-policy-options.js';
export type { TagExpression } from './tag-expression.js';
