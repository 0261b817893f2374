import { createHmac } from 'node:crypto';
import { createChallenge, verifySolution, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/pbkdf2';
import { z } from 'zod';
import type { Captcha } from '../../domain/ports/captcha.js';
import type { Clock } from '../../domain/ports/clock.js';
import type { Random } from '../../domain/ports/random.js';
import { createNodeRandom } from '../crypto/node-random.js';

/** The proof-of-work function; the ALTCHA widget runs it with WebCrypto. */
export const ALTCHA_ALGORITHM = 'PBKDF2/SHA-256';

export interface AltchaCaptchaOptions {
  /** Server secret (config `captcha.hmacKey`); two purpose-bound keys are derived from it. */
  readonly hmacKey: string | Uint8Array;
  readonly clock: Clock;
  /**
   * Upper bound of the secret counter the client has to find (the work): the counter is drawn
   * uniformly from [maxNumber/2, maxNumber]. Default 10 000.
   */
  readonly maxNumber?: number;
  /** PBKDF2 iterations per attempt. Default 5 000 (altcha-lib's recommendation). */
  readonly cost?: number;
  /** Lifetime of a challenge. Default 10 minutes. */
  readonly expiresInMs?: number;
  readonly random?: Random;
}

/** Payloads larger than this are refused before parsing (a real one is well under 1 KiB). */
const MAX_PAYLOAD_LENGTH = 4096;

const hex = z.string().regex(/^(?:[0-9a-f]{2})+$/);

/** What the widget posts: base64 of JSON `{ challenge: { parameters, signature }, solution }`. */
const payloadSchema = z.object({
  challenge: z.object({
    parameters: z.looseObject({
      algorithm: z.literal(ALTCHA_ALGORITHM),
      nonce: hex,
      salt: hex,
      cost: z.number().int().positive(),
      keyLength: z.number().int().positive(),
      keyPrefix: hex,
      keySignature: hex,
      data: z.looseObject({ exp: z.number().int().positive() }),
    }),
    signature: hex,
  }),
  solution: z.object({
    counter: z.number().int().nonnegative(),
    derivedKey: hex,
    time: z.number().optional(),
  }),
});

/**
 * The Captcha port with ALTCHA (altcha-lib v2, self-hosted proof of work, deterministic mode with
 * key signatures: verifying costs one HMAC).
 *
 * Expiry: the challenge carries its expiry as `data.exp` (epoch ms), covered by the HMAC signature,
 * and `verify` judges it with the injected Clock. altcha-lib's own `parameters.expiresAt` is not
 * used because the library compares it with the process wall clock (Date.now), which would make
 * the adapter ignore the injected Clock.
 *
 * Replay: a verified solution's challenge signature is remembered until the challenge expires;
 * the same solution is refused the second time. The memory is per process (in-memory map).
 */
export function createAltchaCaptcha(options: AltchaCaptchaOptions): Captcha {
  const maxNumber = options.maxNumber ?? 10_000;
  const cost = options.cost ?? 5_000;
  const expiresInMs = options.expiresInMs ?? 10 * 60_000;
  if (!Number.isInteger(maxNumber) || maxNumber < 1 || maxNumber > 0xffffffff) {
    throw new RangeError('maxNumber must be an integer in [1, 2^32 - 1]');
  }
  if (!Number.isInteger(cost) || cost < 1) throw new RangeError('cost must be a positive integer');
  if (!Number.isInteger(expiresInMs) || expiresInMs < 1_000) {
    throw new RangeError('expiresInMs must be at least 1000');
  }
  const keyBytes =
    typeof options.hmacKey === 'string'
      ? Buffer.from(options.hmacKey, 'utf8')
      : Buffer.from(options.hmacKey);
  if (keyBytes.length < 16) throw new RangeError('hmacKey must be at least 16 bytes');
  const derive = (purpose: string): string =>
    createHmac('sha256', keyBytes).update(`opensspr-altcha:${purpose}`).digest('hex');
  const hmacSignatureSecret = derive('challenge-signature');
  const hmacKeySignatureSecret = derive('key-signature');
  const random = options.random ?? createNodeRandom();
  const clock = options.clock;

  /** Challenge signature → expiry (epoch ms) of challenges already redeemed. */
  const used = new Map<string, number>();
  const prune = (now: number): void => {
    for (const [signature, exp] of used) if (exp < now) used.delete(signature);
  };

  return {
    async createChallenge(): Promise<Challenge> {
      const min = Math.ceil(maxNumber / 2);
      const counter = min + random.int(maxNumber - min + 1);
      return createChallenge({
        algorithm: ALTCHA_ALGORITHM,
        cost,
        counter,
        deriveKey,
        data: { exp: clock.now().getTime() + expiresInMs },
        hmacSignatureSecret,
        hmacKeySignatureSecret,
      });
    },

    async verify(solution) {
      if (solution.length === 0 || solution.length > MAX_PAYLOAD_LENGTH) return false;
      let decoded: unknown;
      try {
        decoded = JSON.parse(Buffer.from(solution, 'base64').toString('utf8'));
      } catch {
        return false;
      }
      const parsed = payloadSchema.safeParse(decoded);
      if (!parsed.success) return false;
      const { challenge, solution: answer } = parsed.data;
      const now = clock.now().getTime();
      if (challenge.parameters.data.exp < now) return false;
      if (used.has(challenge.signature)) return false;
      let verified: boolean;
      try {
        const result = await verifySolution({
          // The original (loose) objects: every signed field must reach the signature check.
          challenge: challenge as unknown as Challenge,
          solution: answer,
          deriveKey,
          hmacSignatureSecret,
          hmacKeySignatureSecret,
        });
        verified = result.verified;
      } catch {
        return false;
      }
      if (!verified) return false;
      // Check-and-set with no await in between: two concurrent submissions cannot both win.
      if (used.has(challenge.signature)) return false;
      prune(now);
      used.set(challenge.signature, challenge.parameters.data.exp);
      return true;
    },
  };
}
