import type { ProducerRetryOptions } from '@idem/core';

/** Options of {@link createHttpProducer}. */
export interface HttpProducerOptions extends ProducerRetryOptions {
  /** The instance's HTTP endpoint, `http(s)://host[:port]` without a path. A trailing `/` is removed. */
  readonly endpoint: string;
  /** AccessKey id of an account or RAM user allowed to publish to the topics. */
  readonly accessKeyId: string;
  /** Its secret; it signs every request and never appears in a log line or error message. */
  readonly accessKeySecret: string;
  /** STS security token, when the key is a temporary one. */
  readonly securityToken?: string;
  /** The instance id (`MQ_INST_...`) for endpoints that serve several instances. Default none. */
  readonly instanceId?: string;
  /** Bodies above this many bytes are refused (`MESSAGE_REJECTED`) before sending. Default 4 MiB. */
  readonly maxBodyBytes?: number;
}
