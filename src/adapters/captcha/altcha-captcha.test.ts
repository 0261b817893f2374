import { describe, expect, it } from 'vitest';
import { createFixedClock } from '../../../test/fakes/fixed-clock.js';
import { createSeededRandom } from '../../../test/fakes/seeded-random.js';
import { solveAltchaChallenge } from '../../../test/fixtures/altcha.js';
import { createAltchaCaptcha } from './altcha-captcha.js';

const hmacKey = 'test-altcha-hmac-key-0123456789';

interface Payload {
  challenge: { parameters: Record<string, unknown> & { data: { exp: number } }; signature: string };
  solution: { counter: number; derivedKey: string };
}
const decode = (payload: string): Payload =>
  JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as Payload;
const encode = (payload: Payload): string =>
  Buffer.from(JSON.stringify(payload), 'utf8').toString('base64');

function setup(overrides: { expiresInMs?: number; hmacKey?: string } = {}) {
  const clock = createFixedClock('2026-01-15T09:00:00.000Z');
  const captcha = createAltchaCaptcha({
    hmacKey: overrides.hmacKey ?? hmacKey,
    clock,
    maxNumber: 40,
    cost: 1,
    random: createSeededRandom('altcha'),
    ...(overrides.expiresInMs !== undefined ? { expiresInMs: overrides.expiresInMs } : {}),
  });
  return { clock, captcha };
}

describe('createAltchaCaptcha', () => {
  it('issues a signed v2 challenge whose expiry follows the injected clock', async () => {
    const { captcha } = setup({ expiresInMs: 60_000 });
    const challenge = (await captcha.createChallenge()) as {
      parameters: { algorithm: string; data: { exp: number }; keySignature: string };
      signature: string;
    };
    expect(challenge.parameters.algorithm).toBe('PBKDF2/SHA-256');
    expect(challenge.parameters.data.exp).toBe(Date.parse('2026-01-15T09:01:00.000Z'));
    expect(challenge.signature).toMatch(/^[0-9a-f]{64}$/);
    expect(challenge.parameters.keySignature).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(challenge)).not.toContain(hmacKey);
  });

  it('accepts a solved challenge once, then refuses the replay', async () => {
    const { captcha } = setup();
    const payload = await solveAltchaChallenge(await captcha.createChallenge());
    expect(await captcha.verify(payload)).toBe(true);
    expect(await captcha.verify(payload)).toBe(false);
  });

  it('lets only one of two concurrent submissions of the same solution win', async () => {
    const { captcha } = setup();
    const payload = await solveAltchaChallenge(await captcha.createChallenge());
    const results = await Promise.all([captcha.verify(payload), captcha.verify(payload)]);
    expect(results.sort()).toEqual([false, true]);
  });

  it('accepts different challenges independently', async () => {
    const { captcha } = setup();
    const a = await solveAltchaChallenge(await captcha.createChallenge());
    const b = await solveAltchaChallenge(await captcha.createChallenge());
    expect(await captcha.verify(a)).toBe(true);
    expect(await captcha.verify(b)).toBe(true);
  });

  it('refuses a tampered solution, challenge or expiry', async () => {
    const { captcha } = setup();
    const valid = decode(await solveAltchaChallenge(await captcha.createChallenge()));

    const wrongKey = structuredClone(valid);
    const flipped = wrongKey.solution.derivedKey.startsWith('0') ? '1' : '0';
    wrongKey.solution.derivedKey = flipped + wrongKey.solution.derivedKey.slice(1);
    expect(await captcha.verify(encode(wrongKey))).toBe(false);

    const longerLife = structuredClone(valid);
    longerLife.challenge.parameters.data.exp += 3_600_000;
    expect(await captcha.verify(encode(longerLife))).toBe(false);

    const cheaper = structuredClone(valid);
    cheaper.challenge.parameters['cost'] = 2;
    expect(await captcha.verify(encode(cheaper))).toBe(false);

    // The untouched payload still works: the refusals above were about the tampering.
    expect(await captcha.verify(encode(valid))).toBe(true);
  });

  it('refuses a challenge signed with another key', async () => {
    const other = setup({ hmacKey: 'another-altcha-hmac-key-987654' }).captcha;
    const payload = await solveAltchaChallenge(await other.createChallenge());
    expect(await setup().captcha.verify(payload)).toBe(false);
    expect(await other.verify(payload)).toBe(true);
  });

  it('refuses an expired challenge (judged by the injected clock)', async () => {
    const { captcha, clock } = setup({ expiresInMs: 60_000 });
    const payload = await solveAltchaChallenge(await captcha.createChallenge());
    clock.advance(60_001);
    expect(await captcha.verify(payload)).toBe(false);
  });

  it('accepts a challenge until its expiry', async () => {
    const { captcha, clock } = setup({ expiresInMs: 60_000 });
    const payload = await solveAltchaChallenge(await captcha.createChallenge());
    clock.advance(60_000);
    expect(await captcha.verify(payload)).toBe(true);
  });

  it.each([
    '',
    'not base64 json',
    Buffer.from('{"challenge":{}}').toString('base64'),
    Buffer.from('[]').toString('base64'),
    'A'.repeat(5000),
  ])('refuses the malformed payload %#', async (payload) => {
    expect(await setup().captcha.verify(payload)).toBe(false);
  });

  it('refuses a payload that uses another algorithm', async () => {
    const { captcha } = setup();
    const valid = decode(await solveAltchaChallenge(await captcha.createChallenge()));
    valid.challenge.parameters['algorithm'] = 'SHA-256';
    expect(await captcha.verify(encode(valid))).toBe(false);
  });

  it('rejects weak configuration', () => {
    const clock = createFixedClock();
    expect(() => createAltchaCaptcha({ hmacKey: 'short', clock })).toThrow(RangeError);
    expect(() => createAltchaCaptcha({ hmacKey, clock, maxNumber: 0 })).toThrow(RangeError);
  });
});
