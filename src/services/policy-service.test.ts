import { describe, expect, it } from 'vitest';
import { deepMerge, diff } from './policy-service.js';

describe('policy patch helpers', () => {
  it('deep-merges objects and replaces arrays and scalars', () => {
    expect(deepMerge({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { c: 3 }, l: [9] })).toEqual({
      a: { b: 1, c: 3 },
      l: [9],
    });
    expect(deepMerge({ a: 1 }, { a: { x: 1 } })).toEqual({ a: { x: 1 } });
  });

  it('lists changed properties by dotted path with old and new values', () => {
    expect(diff({ a: { b: 1, c: 2 }, l: [1] }, { a: { b: 1, c: 3 }, l: [1, 2] })).toEqual([
      { property: 'a.c', oldValue: 2, newValue: 3 },
      { property: 'l', oldValue: [1], newValue: [1, 2] },
    ]);
    expect(diff({ a: 1 }, { a: 1 })).toEqual([]);
  });
});
