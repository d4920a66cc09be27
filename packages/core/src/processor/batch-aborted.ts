import type { IdemError } from '../errors.js';

/** Raised inside a dispatch transaction when the database fails: every message is retried. */
export class BatchAborted extends Error {
  constructor(readonly reason: IdemError) {
    super(reason.message);
  }
}
