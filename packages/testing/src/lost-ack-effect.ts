/**
 * What a peer's `loseAcks()` does with the handles of an ack whose answer it drops: ack them
 * anyway (`always`: the client's retry finds them already acked), leave them (`never`: the
 * message comes back after its invisible time, a certain redelivery) or either at random, half
 * the time each (`random`, the default). Both peers take the same words.
 */
export type LostAckEffect = 'random' | 'always' | 'never';
