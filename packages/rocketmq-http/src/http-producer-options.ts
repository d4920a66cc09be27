import type { ProducerRetryOptions } from '@idem/core/adapter';
import type { HttpConnectionOptions } from './http-connection-options.js';

/** Options of {@link createHttpProducer}: the retries' and the HTTP connection's. */
export interface HttpProducerOptions extends ProducerRetryOptions, HttpConnectionOptions {
  /** Bodies above this many bytes are refused (`MESSAGE_REJECTED`) before sending. Default 4 MiB. */
  readonly maxBodyBytes?: number;
}
