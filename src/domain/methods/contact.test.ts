import { describe, expect, it } from 'vitest';
import { isSsprError } from '../errors/sspr-error.js';
import { maskEmail, maskPhone, parseEmail, parsePhone } from './contact.js';

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parsePhone', () => {
  it.each([
    ['+14255550100', '+1 4255550100'],
    ['+1 (425) 555-0100', '+1 4255550100'],
    ['+1 4255550100', '+1 4255550100'],
    ['  +1.425.555.0100 ', '+1 4255550100'],
    ['+48 601 234 567', '+48 601234567'],
    ['+44 20 7946 0958', '+44 2079460958'],
    ['+1 4255550100x123', '+1 4255550100x123'],
    ['+1 425 555 0100 ext. 7', '+1 4255550100x7'],
  ])('%j → %j', (input, expected) => {
    expect(parsePhone(input)).toBe(expected);
  });

  it.each([
    '4255550100',
    '(425) 555-0100',
    '0048 601 234 567',
    '+1 425',
    '+1 555 555 1234',
    '+999 123456789',
    '',
    '+',
    'call +1 4255550100',
    '+1 425 555 CALL',
    '+1 4255550100; DROP',
  ])('rejects %j with INVALID_PHONE', (input) => {
    expect(
      isSsprError(
        errorOf(() => parsePhone(input)),
        'INVALID_PHONE',
      ),
    ).toBe(true);
  });
});

describe('parseEmail', () => {
  it.each([
    ['john.doe@contoso.com', 'john.doe@contoso.com'],
    ['  John.Doe@Contoso.COM ', 'John.Doe@contoso.com'],
    ['a+tag@sub.example.org', 'a+tag@sub.example.org'],
  ])('%j → %j', (input, expected) => {
    expect(parseEmail(input)).toBe(expected);
  });

  it.each([
    '',
    'john',
    'john@',
    '@contoso.com',
    'john doe@contoso.com',
    'john@localhost',
    'a@b@c.com',
  ])('rejects %j with INVALID_EMAIL', (input) => {
    expect(
      isSsprError(
        errorOf(() => parseEmail(input)),
        'INVALID_EMAIL',
      ),
    ).toBe(true);
  });

  it('accepts 254 characters and rejects 255', () => {
    const domain = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.com`;
    const at254 = `${'x'.repeat(254 - 1 - domain.length)}@${domain}`;
    expect(at254).toHaveLength(254);
    expect(parseEmail(at254)).toBe(at254);
    expect(
      isSsprError(
        errorOf(() => parseEmail(`x${at254}`)),
        'INVALID_EMAIL',
      ),
    ).toBe(true);
  });
});

describe('maskEmail', () => {
  it.each([
    ['john.doe@contoso.com', 'jo*****@contoso.com'],
    ['jo@contoso.com', 'j*****@contoso.com'],
    ['j@contoso.com', 'j*****@contoso.com'],
    ['abc@x.org', 'ab*****@x.org'],
  ])('%j → %j', (input, expected) => {
    expect(maskEmail(input)).toBe(expected);
  });
});

describe('maskPhone', () => {
  it.each([
    ['+1 4255550100', '+1 •••••••• 00'],
    ['+48 601234567', '+48 ••••••• 67'],
    ['+1 4255550100x123', '+1 •••••••• 00'],
    ['garbage', '••••••••'],
  ])('%j → %j', (input, expected) => {
    expect(maskPhone(input)).toBe(expected);
  });
});
