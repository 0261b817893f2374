import { createHash } from 'node:crypto';
import type { Random } from '../../src/domain/ports/random.js';

/**
 * A deterministic Random for unit tests: a SHA-256 counter-mode stream keyed by the seed, so the
 * same seed always yields the same bytes, ints and uuids. `int` uses rejection sampling (unbiased),
 * like node:crypto's randomInt. Never use outside tests.
 */
export function createSeededRandom(seed: string | number = 1): Random {
  let block = 0;
  let pool = new Uint8Array(0);
  let offset = 0;

  const next = (length: number): Uint8Array => {
    const out = new Uint8Array(length);
    let written = 0;
    while (written < length) {
      if (offset >= pool.length) {
        pool = new Uint8Array(
          createHash('sha256')
            .update(`seeded-random:${String(seed)}:${String(block)}`)
            .digest(),
        );
        block += 1;
        offset = 0;
      }
      const take = Math.min(length - written, pool.length - offset);
      out.set(pool.subarray(offset, offset + take), written);
      written += take;
      offset += take;
    }
    return out;
  };

  return {
    bytes: (length) => next(length),
    int: (max) => {
      if (!Number.isSafeInteger(max) || max <= 0 || max > 2 ** 48) {
        throw new RangeError('max must be an integer in (0, 2^48]');
      }
      const range = 2 ** 48;
      const limit = range - (range % max);
      for (;;) {
        const b = next(6);
        let value = 0;
        for (const byte of b) value = value * 256 + byte;
        if (value < limit) return value % max;
      }
    },
    uuid: () => {
      const b = next(16);
      b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
      b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
      const hex = Buffer.from(b).toString('hex');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
  };
}
