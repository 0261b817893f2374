import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretBox } from '../../domain/ports/secret-box.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** The version is authenticated too, so a sealed value cannot be relabelled. */
const AAD = Buffer.from(`opensspr-secret-box:${VERSION}`, 'utf8');

/**
 * AES-256-GCM with a random 96-bit IV per seal. Output: `v1.<base64url iv>.<base64url ciphertext‖tag>`.
 * `open` throws a plain Error (no key, IV or ciphertext in its message) when the value is malformed,
 * sealed with another key, or tampered with.
 */
export function createAesGcmSecretBox(key: Uint8Array): SecretBox {
  if (key.length !== KEY_BYTES) {
    throw new Error(`the secret-box key must be ${String(KEY_BYTES)} bytes`);
  }
  const keyBuffer = Buffer.from(key); // a private copy: later changes to `key` do not affect us

  return {
    seal(plaintext) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keyBuffer, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(AAD);
      const body = Buffer.concat([
        cipher.update(plaintext, 'utf8'),
        cipher.final(),
        cipher.getAuthTag(),
      ]);
      return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },

    open(sealed) {
      const parts = sealed.split('.');
      const [version, ivText, bodyText] = parts;
      if (
        parts.length !== 3 ||
        version !== VERSION ||
        ivText === undefined ||
        bodyText === undefined
      ) {
        throw new Error('the sealed secret is malformed');
      }
      const iv = Buffer.from(ivText, 'base64url');
      const body = Buffer.from(bodyText, 'base64url');
      if (
        iv.length !== IV_BYTES ||
        body.length < TAG_BYTES ||
        iv.toString('base64url') !== ivText ||
        body.toString('base64url') !== bodyText
      ) {
        throw new Error('the sealed secret is malformed');
      }
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyBuffer, iv, {
          authTagLength: TAG_BYTES,
        });
        decipher.setAAD(AAD);
        decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(body.subarray(0, body.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return plain.toString('utf8');
      } catch {
        throw new Error('the sealed secret cannot be opened (wrong key or tampered)');
      }
    },
  };
}
