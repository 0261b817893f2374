import { Secret, TOTP } from 'otpauth';
import type { Random } from '../ports/random.js';

/** RFC 6238 parameters every authenticator app supports (and the only ones Entra's "other app" uses). */
export const TOTP_ALGORITHM = 'SHA1';
export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Codes of the previous and the next time step are accepted too (clock drift). */
export const TOTP_WINDOW = 1;
/** 160-bit secret, the RFC 4226 recommendation for SHA-1. */
export const TOTP_SECRET_BYTES = 20;

const TOKEN_PATTERN = /^[0-9]{6}$/;

/** A new random secret, base32-encoded (no padding), from the injected Random. */
export function generateTotpSecret(random: Random): string {
  const bytes = random.bytes(TOTP_SECRET_BYTES);
  if (bytes.length !== TOTP_SECRET_BYTES)
    throw new Error('Random returned the wrong number of bytes');
  // Copy into a fresh ArrayBuffer: the bytes may be a view into a larger pool.
  return new Secret({ buffer: Uint8Array.from(bytes).buffer }).base32;
}

/**
 * The `otpauth://totp/<issuer>:<account>?secret=…&issuer=…&algorithm=SHA1&digits=6&period=30` URI
 * shown as a QR code at registration. `issuer` is the organisation name, `account` the UPN.
 */
export function buildTotpUri(params: {
  readonly secret: string;
  readonly issuer: string;
  readonly account: string;
}): string {
  return totpFor(params.secret, params.issuer, params.account).toString();
}

/**
 * Checks a code typed by the user against the secret at `now`, accepting ±1 time step.
 * Returns the matched time step (the caller stores it with `claimTotpStep` so a code cannot be
 * used twice), or null. Input that is not exactly 6 ASCII digits is rejected before any HMAC.
 */
export function verifyTotp(secret: string, code: string, now: Date): { step: number } | null {
  if (!TOKEN_PATTERN.test(code)) return null;
  const totp = totpFor(secret);
  const timestamp = now.getTime();
  const delta = totp.validate({ token: code, timestamp, window: TOTP_WINDOW });
  if (delta === null) return null;
  return { step: totp.counter({ timestamp }) + delta };
}

/** The code an authenticator app shows at `at` (tests, demo and diagnostics). */
export function totpCodeAt(secret: string, at: Date): string {
  return totpFor(secret).generate({ timestamp: at.getTime() });
}

/** The time step (RFC 6238 counter) containing `at`. */
export function totpStepAt(at: Date): number {
  return Math.floor(at.getTime() / 1000 / TOTP_PERIOD_SECONDS);
}

function totpFor(secret: string, issuer = '', label = 'OpenSSPR'): TOTP {
  return new TOTP({
    issuer,
    label,
    secret: parseSecret(secret),
    algorithm: TOTP_ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  });
}

function parseSecret(secret: string): Secret {
  let parsed: Secret;
  try {
    parsed = Secret.fromBase32(secret);
  } catch {
    // Never echo the secret (or the offending character) in the message.
    throw new Error('the TOTP secret is not valid base32');
  }
  if (parsed.bytes.length < 10) throw new Error('the TOTP secret is too short');
  return parsed;
}
