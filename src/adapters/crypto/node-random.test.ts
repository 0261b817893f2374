import { describe, expect, it } from 'vitest';
import { createNodeRandom } from './node-random.js';
import { createSystemClock } from './system-clock.js';

describe('createNodeRandom', () => {
  const random = createNodeRandom();

  it('returns the requested number of bytes, different each time', () => {
    const a = random.bytes(32);
    expect(a).toBeInstanceOf(Uint8Array);
    expect(a).toHaveLength(32);
    expect(Buffer.from(a).equals(Buffer.from(random.bytes(32)))).toBe(false);
  });

  it('draws integers in [0, max)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 500; i++) {
      const n = random.int(5);
      expect(Number.isInteger(n) && n >= 0 && n < 5).toBe(true);
      seen.add(n);
    }
    expect(seen.size).toBe(5);
  });

  it('makes v4 uuids', () => {
    expect(random.uuid()).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('createSystemClock', () => {
  it('tells the wall-clock time', () => {
    const before = Date.now();
    const now = createSystemClock().now().getTime();
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
