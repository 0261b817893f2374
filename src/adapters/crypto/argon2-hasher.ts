import { hash, verify } from '@node-rs/argon2';
import type { PasswordHasher } from '../../domain/ports/password-hasher.js';

export interface Argon2Options {
  /** Memory in KiB. OWASP: 19456 (19 MiB). */
  readonly memoryCost?: number;
  /** Passes. OWASP: 2. */
  readonly timeCost?: number;
  /** Lanes. OWASP: 1. */
  readonly parallelism?: number;
}

/** OWASP Password Storage Cheat Sheet, Argon2id minimum configuration. */
export const OWASP_ARGON2ID: Required<Argon2Options> = {
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
};

/**
 * Argon2id hashes in PHC string form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`) with a random
 * 16-byte salt per hash. Tests and benchmarks may pass lighter parameters; `verify` reads the
 * parameters from the hash, so hashes made with other parameters keep verifying.
 */
export function createArgon2Hasher(options: Argon2Options = {}): PasswordHasher {
  // The algorithm is left to the library's default, Argon2id: its `Algorithm` is an ambient const
  // enum that isolatedModules cannot read. The test pins the `$argon2id$` prefix.
  const params = { ...OWASP_ARGON2ID, ...options };
  return {
    hash: (secret) => hash(secret, params),
    verify: async (hashed, secret) => {
      try {
        return await verify(hashed, secret);
      } catch {
        // A malformed or truncated hash is a mismatch, never an exception (and never logged:
        // the error text could quote the stored value).
        return false;
      }
    },
  };
}
