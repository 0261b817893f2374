import { describe, expect, it } from 'vitest';
import { backoffDelay, cryptoJitter } from './backoff.js';

describe('backoff', () => {
  it('doubles from 1 s up to a 60 s cap, with the delay in [ceiling/2, ceiling]', () => {
    const low = [0, 1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelay(n, {}, 0));
    const high = [0, 1, 2, 3, 4, 5, 6, 7, 20].map((n) => backoffDelay(n, {}, 1));
    expect(high).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    expect(low).toEqual(high.map((ms) => ms / 2));
    expect(backoffDelay(1000, {}, 0.5)).toBe(45000);
  });

  it('takes its bounds from the options', () => {
    expect(backoffDelay(0, { initialMs: 50, maxMs: 200 }, 1)).toBe(50);
    expect(backoffDelay(5, { initialMs: 50, maxMs: 200 }, 1)).toBe(200);
  });

  it('jitters uniformly in [0, 1)', () => {
    const values = Array.from({ length: 200 }, cryptoJitter);
    expect(values.every((v) => v >= 0 && v < 1)).toBe(true);
    expect(new Set(values).size).toBeGreaterThan(190);
  });
});
