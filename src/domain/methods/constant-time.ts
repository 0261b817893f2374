import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Compares two secrets (codes, HMACs, tokens) in constant time. The only place the project compares
 * secrets: both sides are hashed first, so neither their contents nor their lengths leak through
 * timing.
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}
