import { Secret, TOTP } from 'otpauth';
import { describe, expect, it } from 'vitest';
import { createSeededRandom } from '../../../test/fakes/seeded-random.js';
import { buildTotpUri, generateTotpSecret, totpCodeAt, totpStepAt, verifyTotp } from './totp.js';

// RFC 6238 appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
const RFC_SECRET = Secret.fromLatin1('12345678901234567890').base32;

describe('generateTotpSecret', () => {
  it('encodes exactly the 20 random bytes as base32', () => {
    const random = createSeededRandom('totp');
    const expected = createSeededRandom('totp').bytes(20);
    const secret = generateTotpSecret(random);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(Secret.fromBase32(secret).bytes).toEqual(expected);
  });

  it('differs between draws', () => {
    const random = createSeededRandom(7);
    expect(generateTotpSecret(random)).not.toBe(generateTotpSecret(random));
  });
});

describe('buildTotpUri', () => {
  it('produces an otpauth URI with issuer, UPN label, SHA1, 6 digits and 30 s', () => {
    const uri = buildTotpUri({
      secret: RFC_SECRET,
      issuer: 'Contoso Ltd',
      account: 'john.doe@contoso.com',
    });
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe('/Contoso Ltd:john.doe@contoso.com');
    expect(url.searchParams.get('secret')).toBe(RFC_SECRET);
    expect(url.searchParams.get('issuer')).toBe('Contoso Ltd');
    expect(url.searchParams.get('algorithm')).toBe('SHA1');
    expect(url.searchParams.get('digits')).toBe('6');
    expect(url.searchParams.get('period')).toBe('30');
  });
});

describe('verifyTotp', () => {
  // RFC 6238 test vector: T = 59 s → 94287082 (8 digits); the 6-digit code is the last six.
  const at59 = new Date(59_000);

  it('matches the RFC 6238 test vector', () => {
    expect(totpCodeAt(RFC_SECRET, at59)).toBe('287082');
    expect(verifyTotp(RFC_SECRET, '287082', at59)).toEqual({ step: 1 });
  });

  it('accepts the previous and the next step and reports the matched step', () => {
    const now = new Date('2026-01-15T09:00:10.000Z');
    const step = totpStepAt(now);
    const prev = totpCodeAt(RFC_SECRET, new Date(now.getTime() - 30_000));
    const next = totpCodeAt(RFC_SECRET, new Date(now.getTime() + 30_000));
    const current = totpCodeAt(RFC_SECRET, now);
    expect(verifyTotp(RFC_SECRET, current, now)).toEqual({ step });
    expect(verifyTotp(RFC_SECRET, prev, now)).toEqual({ step: step - 1 });
    expect(verifyTotp(RFC_SECRET, next, now)).toEqual({ step: step + 1 });
  });

  it('rejects a code two steps away', () => {
    const now = new Date('2026-01-15T09:00:10.000Z');
    const old = totpCodeAt(RFC_SECRET, new Date(now.getTime() - 60_000));
    // Guard against the (tiny) chance that the old code equals a code in the window.
    const window = [-30_000, 0, 30_000].map((d) =>
      totpCodeAt(RFC_SECRET, new Date(now.getTime() + d)),
    );
    expect(window).not.toContain(old);
    expect(verifyTotp(RFC_SECRET, old, now)).toBeNull();
  });

  it('agrees with an independent generator (otpauth with defaults)', () => {
    const now = new Date('2030-05-05T12:34:56.000Z');
    const code = new TOTP({ secret: Secret.fromBase32(RFC_SECRET) }).generate({
      timestamp: now.getTime(),
    });
    expect(verifyTotp(RFC_SECRET, code, now)).toEqual({ step: totpStepAt(now) });
  });

  it.each(['', '28708', '2870822', ' 287082', '28708a', '２８７０８２', '287 082'])(
    'rejects the non-6-digit input %j',
    (input) => {
      expect(verifyTotp(RFC_SECRET, input, at59)).toBeNull();
    },
  );

  it('rejects a wrong code', () => {
    const wrong = totpCodeAt(RFC_SECRET, at59) === '000000' ? '000001' : '000000';
    expect(verifyTotp(RFC_SECRET, wrong, at59)).toBeNull();
  });

  it('throws without echoing a malformed secret', () => {
    expect(() => verifyTotp('NOT!BASE32SECRET', '123456', at59)).toThrow(
      /^the TOTP secret is not valid base32$/,
    );
  });
});
