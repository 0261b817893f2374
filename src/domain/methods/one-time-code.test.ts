import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Random } from '../ports/random.js';
import { createSeededRandom } from '../../../test/fakes/seeded-random.js';
import { CODE_TTL_MS, codeMatches, generateCode, hmacCode, isCodeShaped } from './one-time-code.js';

const key = new Uint8Array(32).fill(7);
const otherKey = new Uint8Array(32).fill(8);

const fixedInt = (value: number): Random => ({
  bytes: () => new Uint8Array(),
  int: () => value,
  uuid: () => '00000000-0000-4000-8000-000000000000',
});

describe('generateCode', () => {
  it('draws one uniform integer below 10^8 and zero-pads it to 8 digits', () => {
    const maxes: number[] = [];
    const random: Random = { ...fixedInt(42), int: (max) => (maxes.push(max), 42) };
    expect(generateCode(random)).toBe('00000042');
    expect(maxes).toEqual([100_000_000]);
    expect(generateCode(fixedInt(99_999_999))).toBe('99999999');
  });

  it('produces 8-digit codes that vary', () => {
    const random = createSeededRandom('codes');
    const codes = Array.from({ length: 50 }, () => generateCode(random));
    for (const c of codes) expect(c).toMatch(/^[0-9]{8}$/);
    expect(new Set(codes).size).toBeGreaterThan(45);
  });
});

describe('isCodeShaped', () => {
  it.each([
    ['12345678', true],
    ['1234567', false],
    ['123456789', false],
    ['1234 5678', false],
    ['１２３４５６７８', false],
  ])('%j → %s', (input, expected) => {
    expect(isCodeShaped(input)).toBe(expected);
  });
});

describe('hmacCode / codeMatches', () => {
  it('is HMAC-SHA256 over the code id and the code, base64url', () => {
    const expected = createHmac('sha256', key)
      .update('sspr-one-time-code:v1\u0000id-1\u000012345678')
      .digest('base64url');
    expect(hmacCode(key, 'id-1', '12345678')).toBe(expected);
  });

  it('matches the right code for the right id and key only', () => {
    const stored = hmacCode(key, 'id-1', '12345678');
    expect(codeMatches(key, 'id-1', '12345678', stored)).toBe(true);
    expect(codeMatches(key, 'id-1', '12345679', stored)).toBe(false);
    expect(codeMatches(key, 'id-2', '12345678', stored)).toBe(false);
    expect(codeMatches(otherKey, 'id-1', '12345678', stored)).toBe(false);
    expect(codeMatches(key, 'id-1', '12345678', '')).toBe(false);
  });

  it('does not let the id and the code run into each other', () => {
    expect(hmacCode(key, 'id-1', '12345678')).not.toBe(hmacCode(key, 'id-11', '2345678'));
  });

  it('never contains the code itself', () => {
    expect(hmacCode(key, 'id-1', '12345678')).not.toContain('12345678');
  });
});

it('codes live for five minutes', () => {
  expect(CODE_TTL_MS).toBe(300_000);
});
