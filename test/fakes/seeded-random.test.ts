import { describe, expect, it } from 'vitest';
import { createFixedClock } from './fixed-clock.js';
import { createSeededRandom } from './seeded-random.js';

describe('createSeededRandom', () => {
  it('is deterministic per seed and differs between seeds', () => {
    const draw = (seed: string) => {
      const r = createSeededRandom(seed);
      return [Buffer.from(r.bytes(40)).toString('hex'), r.int(1000), r.uuid()];
    };
    expect(draw('a')).toEqual(draw('a'));
    expect(draw('a')).not.toEqual(draw('b'));
  });

  it('draws every value of a small range, roughly uniformly', () => {
    const r = createSeededRandom('uniform');
    const counts = new Array<number>(6).fill(0);
    for (let i = 0; i < 6000; i++) {
      const n = r.int(6);
      counts[n] = (counts[n] ?? 0) + 1;
    }
    for (const c of counts) expect(c).toBeGreaterThan(850);
    for (const c of counts) expect(c).toBeLessThan(1150);
  });

  it('makes v4-shaped uuids and refuses bad bounds', () => {
    const r = createSeededRandom();
    expect(r.uuid()).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    expect(() => r.int(0)).toThrow(RangeError);
    expect(() => r.int(1.5)).toThrow(RangeError);
  });
});

describe('createFixedClock', () => {
  it('stands still until set or advanced', () => {
    const clock = createFixedClock('2026-01-15T09:00:00.000Z');
    expect(clock.now().toISOString()).toBe('2026-01-15T09:00:00.000Z');
    clock.advance(90_000);
    expect(clock.now().toISOString()).toBe('2026-01-15T09:01:30.000Z');
    clock.set(new Date('2030-01-01T00:00:00.000Z'));
    expect(clock.now().toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(() => {
      clock.set('not a date');
    }).toThrow();
  });

  it('hands out copies (mutating a returned Date does not move the clock)', () => {
    const clock = createFixedClock();
    clock.now().setFullYear(1999);
    expect(clock.now().getUTCFullYear()).toBe(2026);
  });
});
