import { createHmac } from 'node:crypto';
import type { Random } from '../ports/random.js';
import { constantTimeEqual } from './constant-time.js';

/** A one-time code (email, SMS, voice) is valid for 5 minutes. */
export const CODE_TTL_MS = 5 * 60_000;

/** Number of digits of a one-time code. */
export const CODE_DIGITS = 8;

const CODE_PATTERN = new RegExp(`^[0-9]{${String(CODE_DIGITS)}}$`);

/**
 * A uniformly distributed numeric code, zero-padded to `CODE_DIGITS` digits. One draw of
 * `random.int(10^8)` — the Random port's `int` is uniform, so the code is unbiased.
 */
export function generateCode(random: Random): string {
  return String(random.int(10 ** CODE_DIGITS)).padStart(CODE_DIGITS, '0');
}

/** True when the input has the shape of a code (exactly 8 ASCII digits). */
export function isCodeShaped(input: string): boolean {
  return CODE_PATTERN.test(input);
}

/**
 * The stored form of a code: HMAC-SHA256 keyed by the server's code key over the code id and the
 * code, so a stored value is useless for another code row and the plain code is never stored.
 * Base64url without padding.
 */
export function hmacCode(key: Uint8Array, codeId: string, code: string): string {
  // NUL separators: neither a uuid nor a code contains one, so (id, code) pairs cannot collide.
  return createHmac('sha256', key)
    .update(`sspr-one-time-code:v1\u0000${codeId}\u0000${code}`, 'utf8')
    .digest('base64url');
}

/** Whether `code` is the code stored as `storedHmac` for `codeId`; constant-time comparison. */
export function codeMatches(
  key: Uint8Array,
  codeId: string,
  code: string,
  storedHmac: string,
): boolean {
  return constantTimeEqual(hmacCode(key, codeId, code), storedHmac);
}
