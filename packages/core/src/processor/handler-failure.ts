import type { ReadyMessage } from './prepare-message.js';

/**
 * Thrown inside the transaction to carry a handler's own error out of kysely's rollback, so it
 * is told apart from a failure of Idem's statements or of COMMIT. `messages` are the messages
 * the failed call handled: one, or all of a batch handler's messages.
 */
export class HandlerFailure extends Error {
  constructor(
    readonly handlerError: unknown,
    readonly messages: readonly ReadyMessage[],
  ) {
    super('handler failed');
  }
}
