import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createAesGcmSecretBox } from './aes-gcm-secret-box.js';

const key = new Uint8Array(randomBytes(32));
const box = createAesGcmSecretBox(key);

/** Flips one bit of the decoded segment `index` and re-encodes it. */
function flip(sealed: string, index: 1 | 2, byte = 0): string {
  const parts = sealed.split('.');
  const raw = Buffer.from(parts[index]!, 'base64url');
  raw[byte] = raw[byte]! ^ 0x01;
  parts[index] = raw.toString('base64url');
  return parts.join('.');
}

describe('createAesGcmSecretBox', () => {
  it('round-trips text, including non-ASCII and the empty string', () => {
    for (const text of ['JBSWY3DPEHPK3PXP', 'zażółć gęślą jaźń 🔐', '']) {
      expect(box.open(box.seal(text))).toBe(text);
    }
  });

  it('produces v1.<iv>.<ciphertext+tag> with a 12-byte IV and a 16-byte tag', () => {
    const sealed = box.seal('JBSWY3DPEHPK3PXP');
    const match = /^v1\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/.exec(sealed);
    expect(match).not.toBeNull();
    expect(Buffer.from(match![1]!, 'base64url')).toHaveLength(12);
    expect(Buffer.from(match![2]!, 'base64url')).toHaveLength(16 + 16);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
  });

  it('uses a fresh IV for every seal', () => {
    const ivs = new Set(Array.from({ length: 20 }, () => box.seal('same').split('.')[1]));
    expect(ivs.size).toBe(20);
  });

  it('throws on a tampered ciphertext, tag or IV', () => {
    const sealed = box.seal('JBSWY3DPEHPK3PXP');
    expect(() => box.open(flip(sealed, 2, 0))).toThrow(/cannot be opened/);
    expect(() => box.open(flip(sealed, 2, 31))).toThrow(/cannot be opened/);
    expect(() => box.open(flip(sealed, 1, 0))).toThrow(/cannot be opened/);
  });

  it('throws when opened with another key', () => {
    const other = createAesGcmSecretBox(new Uint8Array(randomBytes(32)));
    expect(() => other.open(box.seal('JBSWY3DPEHPK3PXP'))).toThrow(/cannot be opened/);
  });

  it.each(['', 'v1', 'v2.AAAA.BBBB', 'v1.AAAA.BBBB', 'v1..', 'v1.a.b.c', 'v1.!!!!!!!!!!!!!!!!.x'])(
    'throws on the malformed value %j',
    (malformed) => {
      expect(() => box.open(malformed)).toThrow(/malformed/);
    },
  );

  it('rejects a truncated body', () => {
    const [v, iv, body] = box.seal('x').split('.');
    expect(() => box.open(`${v!}.${iv!}.${body!.slice(0, 10)}`)).toThrow();
  });

  it('does not put the key or the plaintext in error messages', () => {
    const sealed = box.seal('TOPSECRET');
    let message = '';
    try {
      createAesGcmSecretBox(new Uint8Array(32).fill(1)).open(sealed);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).not.toBe('');
    expect(message).not.toContain('TOPSECRET');
    expect(message).not.toContain(Buffer.from(key).toString('base64'));
  });

  it('requires a 32-byte key and keeps its own copy of it', () => {
    expect(() => createAesGcmSecretBox(new Uint8Array(16))).toThrow(/32 bytes/);
    const mutable = new Uint8Array(randomBytes(32));
    const own = createAesGcmSecretBox(mutable);
    const sealed = own.seal('still readable');
    mutable.fill(0);
    expect(own.open(sealed)).toBe('still readable');
  });
});
