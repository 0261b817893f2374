import { describe, expect, it } from 'vitest';
import {
  EnvelopeError,
  generateAgentKeys,
  open,
  parsePublicKey,
  seal,
  signHello,
  verifyHello,
} from './envelope.js';
import { envelopeSchema, type Envelope } from './messages.js';

const keys = generateAgentKeys();
const text = (s: string) => new TextEncoder().encode(s);
const plain = (b: Uint8Array) => new TextDecoder().decode(b);

/** The envelope with one base64 field changed in its first byte. */
function flip(envelope: Envelope, field: 'iv' | 'ct' | 'tag'): Envelope {
  const bytes = Buffer.from(envelope[field], 'base64');
  bytes[0] = (bytes[0] ?? 0) ^ 1;
  return { ...envelope, [field]: bytes.toString('base64') };
}

describe('envelope', () => {
  it('round-trips and validates against the wire schema', () => {
    const sealed = seal(keys.encryption.publicKey, text('{"newPassword":"Pässwörd 1!"}'), 'job-1');
    expect(envelopeSchema.parse(sealed)).toEqual(sealed);
    expect(plain(open(keys.encryption.privateKey, sealed, 'job-1'))).toBe(
      '{"newPassword":"Pässwörd 1!"}',
    );
  });

  it('uses a fresh ephemeral key and IV each time', () => {
    const a = seal(keys.encryption.publicKey, text('same'), 'j');
    const b = seal(keys.encryption.publicKey, text('same'), 'j');
    expect(a.epk).not.toBe(b.epk);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
  });

  it('never carries the plaintext', () => {
    const sealed = seal(keys.encryption.publicKey, text('Secret-Password-123'), 'j');
    const wire = JSON.stringify(sealed);
    expect(wire).not.toContain('Secret-Password-123');
    expect(wire).not.toContain(Buffer.from('Secret-Password-123').toString('base64'));
  });

  it.each(['iv', 'ct', 'tag'] as const)('refuses a tampered %s', (field) => {
    const sealed = seal(keys.encryption.publicKey, text('hello world'), 'job-1');
    expect(() => open(keys.encryption.privateKey, flip(sealed, field), 'job-1')).toThrow(
      EnvelopeError,
    );
  });

  it('refuses a substituted ephemeral key', () => {
    const sealed = seal(keys.encryption.publicKey, text('hello'), 'job-1');
    const other = seal(keys.encryption.publicKey, text('hello'), 'job-1');
    expect(() => open(keys.encryption.privateKey, { ...sealed, epk: other.epk }, 'job-1')).toThrow(
      EnvelopeError,
    );
  });

  it('refuses another job id (aad)', () => {
    const sealed = seal(keys.encryption.publicKey, text('hello'), 'job-1');
    expect(() => open(keys.encryption.privateKey, sealed, 'job-2')).toThrow(/another job id/);
  });

  it("refuses another agent's key", () => {
    const other = generateAgentKeys();
    const sealed = seal(keys.encryption.publicKey, text('hello'), 'job-1');
    expect(() => open(other.encryption.privateKey, sealed, 'job-1')).toThrow(EnvelopeError);
  });

  it('refuses malformed envelopes and wrong key types', () => {
    const sealed = seal(keys.encryption.publicKey, text('hello'), 'job-1');
    expect(() => open(keys.encryption.privateKey, { ...sealed, iv: 'AAAA' }, 'job-1')).toThrow(
      /malformed/,
    );
    expect(() => seal(keys.signing.publicKey, text('x'), 'j')).toThrow(/x25519/);
    expect(() => open(keys.signing.privateKey, sealed, 'job-1')).toThrow(/x25519/);
    expect(() => parsePublicKey('not a key', 'ed25519')).toThrow(EnvelopeError);
    expect(parsePublicKey(keys.signing.publicKey, 'ed25519').asymmetricKeyType).toBe('ed25519');
  });
});

describe('hello signature', () => {
  it('verifies for the same agent id and nonce only', () => {
    const signature = signHello(keys.signing.privateKey, 'agent-1', 'nonce-abc');
    expect(verifyHello(keys.signing.publicKey, 'agent-1', 'nonce-abc', signature)).toBe(true);
    expect(verifyHello(keys.signing.publicKey, 'agent-2', 'nonce-abc', signature)).toBe(false);
    expect(verifyHello(keys.signing.publicKey, 'agent-1', 'nonce-abd', signature)).toBe(false);
    const other = generateAgentKeys();
    expect(verifyHello(other.signing.publicKey, 'agent-1', 'nonce-abc', signature)).toBe(false);
    expect(verifyHello(keys.signing.publicKey, 'agent-1', 'nonce-abc', 'garbage')).toBe(false);
    expect(verifyHello('not a key', 'agent-1', 'nonce-abc', signature)).toBe(false);
  });
});
