/**
 * Codes of {@link MqHttpPeerError}:
 * - `INVALID_OPTIONS`: an option or argument is out of range;
 * - `OUTAGE_IN_PROGRESS`: an outage was requested while another one runs;
 * - `WAIT_TIMEOUT`: `idle()` or `waitUntil()` gave up;
 * - `STOPPED`: the peer was stopped while the call was waiting;
 * - `RELISTEN_FAILED`: the port could not be bound again after a `refuse` outage.
 */
export type MqHttpPeerErrorCode =
  | 'INVALID_OPTIONS'
  | 'OUTAGE_IN_PROGRESS'
  | 'WAIT_TIMEOUT'
  | 'STOPPED'
  | 'RELISTEN_FAILED';

/** The error the peer's own API throws (not what it answers over HTTP): branch on `code`. */
export class MqHttpPeerError extends Error {
  override readonly name = 'MqHttpPeerError';
  readonly code: MqHttpPeerErrorCode;

  constructor(code: MqHttpPeerErrorCode, message: string, options?: { readonly cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
