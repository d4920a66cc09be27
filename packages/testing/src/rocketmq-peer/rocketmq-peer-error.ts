/**
 * Codes of {@link RocketMQPeerError}:
 * - `INVALID_ARGUMENT`: an option or fault setting is out of range;
 * - `PROTO_NOT_FOUND`: the `.proto` files of `rocketmq-client-nodejs` could not be loaded;
 * - `LISTEN_FAILED`: the port could not be bound (in use, or not free again after a restart);
 * - `WAIT_TIMEOUT`: `waitUntil` or `idle` ran out of time;
 * - `PEER_STOPPED`: the peer was stopped while the call was under way.
 */
export type RocketMQPeerErrorCode =
  | 'INVALID_ARGUMENT'
  | 'PROTO_NOT_FOUND'
  | 'LISTEN_FAILED'
  | 'WAIT_TIMEOUT'
  | 'PEER_STOPPED';

/** The one error class of the RocketMQ peer: branch on `code`, not on the message. */
export class RocketMQPeerError extends Error {
  override readonly name: string = 'RocketMQPeerError';
  readonly code: RocketMQPeerErrorCode;

  constructor(code: RocketMQPeerErrorCode, message: string, options: { readonly cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
