import type { LostAckEffect } from '../lost-ack-effect.js';
import { RocketMQPeerError } from './rocketmq-peer-error.js';

/** What `loseAcks` decided for one AckMessage call. */
export type LostAckDecision = 'apply-then-fail' | 'drop-then-fail' | 'answer';

/** The faults currently switched on; each roll draws from the injected random source. */
export class FaultSettings {
  #duplicateRate = 0;
  #lostAckRate = 0;
  #lostAckEffect: LostAckEffect = 'random';
  #delayMs = 0;
  readonly #random: () => number;

  constructor(random: () => number) {
    this.#random = random;
  }

  get delayMs(): number {
    return this.#delayMs;
  }

  setDuplicateRate(rate: number): void {
    this.#duplicateRate = checkRate('duplicateDeliveries', rate);
  }

  setLostAcks(rate: number, effect: LostAckEffect): void {
    if (effect !== 'random' && effect !== 'always' && effect !== 'never') {
      throw new RocketMQPeerError(
        'INVALID_ARGUMENT',
        `loseAcks takes effect 'random', 'always' or 'never', got ${String(effect)}`,
      );
    }
    this.#lostAckRate = checkRate('loseAcks', rate);
    this.#lostAckEffect = effect;
  }

  setDelay(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RocketMQPeerError(
        'INVALID_ARGUMENT',
        `delay must be a number of milliseconds >= 0, got ${ms}`,
      );
    }
    this.#delayMs = ms;
  }

  /** True when this delivery should be followed by a duplicate. */
  rollDuplicate(): boolean {
    return this.#duplicateRate > 0 && this.#random() < this.#duplicateRate;
  }

  rollLostAck(): LostAckDecision {
    if (this.#lostAckRate === 0 || this.#random() >= this.#lostAckRate) return 'answer';
    if (this.#lostAckEffect === 'always') return 'apply-then-fail';
    if (this.#lostAckEffect === 'never') return 'drop-then-fail';
    return this.#random() < 0.5 ? 'apply-then-fail' : 'drop-then-fail';
  }
}

function checkRate(name: string, rate: number): number {
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new RocketMQPeerError(
      'INVALID_ARGUMENT',
      `${name} takes a probability between 0 and 1, got ${rate}`,
    );
  }
  return rate;
}
