import { describe, expect, it } from 'vitest';
import { summariseBacklog } from '../src/outbox-backlog.js';

describe('summariseBacklog', () => {
  it('says the relay keeps up when the pending rows stay flat and drain at once', () => {
    const backlog = summariseBacklog([3, 10, 4, 12, 5, 9, 4, 11], 2, 40, 16);
    expect(backlog).toMatchObject({ samples: 8, maxPending: 12, pendingAtEnd: 2, keepsUp: true });
    expect(backlog.meanPendingFirstHalf).toBe(7.25);
    expect(backlog.meanPendingSecondHalf).toBe(7.25);
  });

  it('says the relay falls behind when the pending rows grow by more than one burst', () => {
    expect(summariseBacklog([5, 20, 40, 60, 80, 100, 120, 140], 140, 400, 16).keepsUp).toBe(false);
  });

  it('says the relay falls behind when rows are still being sent more than a second after the last ack', () => {
    expect(summariseBacklog([5, 5, 5, 5], 300, 2500, 16).keepsUp).toBe(false);
  });

  it('reports an empty run as keeping up', () => {
    expect(summariseBacklog([], 0, 0, 1)).toMatchObject({ samples: 0, maxPending: 0, keepsUp: true });
  });
});
