import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Random } from '../../domain/ports/random.js';

/** The production Random: node:crypto's CSPRNG (randomInt is unbiased by construction). */
export function createNodeRandom(): Random {
  return {
    bytes: (length) => new Uint8Array(randomBytes(length)),
    int: (max) => randomInt(max),
    uuid: () => randomUUID(),
  };
}
