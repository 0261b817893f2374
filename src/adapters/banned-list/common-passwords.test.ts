import { describe, expect, it } from 'vitest';
import {
  createBannedPasswordChecker,
  normaliseBannedTerm,
} from '../../domain/policy/banned-passwords.js';
import { cloudPasswordPolicy, evaluatePassword } from '../../domain/policy/password-rules.js';
import {
  COMMON_PASSWORDS_LIMIT,
  YEAR_TERMS,
  loadCommonPasswords,
  readRankedPasswords,
  selectTerms,
  yearTerms,
} from './common-passwords.js';

describe('readRankedPasswords', () => {
  it('reads the ranked list shipped in @zxcvbn-ts/language-common', () => {
    const ranked = readRankedPasswords();
    expect(ranked.length).toBeGreaterThan(40_000);
    expect(ranked.slice(0, 3)).toEqual(['123456', 'password', '12345678']);
  });
});

describe('selectTerms', () => {
  it('normalises, keeps 4–16 characters, de-duplicates and counts the limit after that', () => {
    const ranked = ['P@ss', 'abc', 'pass', 'x'.repeat(17), 'W0rd', 'later'];
    expect(selectTerms(ranked, 2)).toEqual(['pass', 'word']);
    expect(selectTerms(ranked, 10)).toEqual(['pass', 'word', 'later']);
  });
});

describe('yearTerms', () => {
  it('lists every year of the documented range', () => {
    const years = yearTerms();
    expect(years).toHaveLength(YEAR_TERMS.to - YEAR_TERMS.from + 1);
    expect(years[0]).toBe('1940');
    expect(years.at(-1)).toBe('2039');
  });
});

describe('loadCommonPasswords', () => {
  const terms = loadCommonPasswords();

  it('keeps the top-ranked terms plus the years, normalised and distinct', () => {
    expect(new Set(terms).size).toBe(terms.length);
    expect(terms.length).toBeGreaterThan(COMMON_PASSWORDS_LIMIT);
    expect(terms.length).toBeLessThanOrEqual(COMMON_PASSWORDS_LIMIT + yearTerms().length);
    expect(terms.slice(0, 3)).toEqual(['l2eas6', 'password', 'l2eas6tb']); // 123456, …, 12345678
    expect(terms).toContain(normaliseBannedTerm('2024'));
    for (const term of terms) expect(normaliseBannedTerm(term)).toBe(term);
  });

  it('honours the limit and the years option', () => {
    expect(loadCommonPasswords({ limit: 100, includeYears: false })).toHaveLength(100);
    expect(loadCommonPasswords({ limit: 0 })).toEqual(yearTerms().map(normaliseBannedTerm));
  });
});

describe('the shipped global list with Entra scoring', () => {
  const checker = createBannedPasswordChecker({
    globalTerms: loadCommonPasswords(),
    customTerms: [],
  });

  it.each(['Password123!', 'Summer2024!', 'Qwerty12345', 'Iloveyou1!', 'Welcome123!', 'P@ssw0rd'])(
    'rejects the common password %s',
    (password) => {
      expect(checker.check(password).accepted).toBe(false);
    },
  );

  it.each(['correct horse battery staple', 'Tr4ck-Lamp-Velvet-91', 'Zq8#mR2!pL'])(
    'accepts the strong password %s',
    (password) => {
      expect(checker.check(password).accepted).toBe(true);
    },
  );

  it('lets the strong passwords through the whole cloud policy, except a lower-case passphrase', () => {
    const failed = (password: string) =>
      evaluatePassword(password, cloudPasswordPolicy, { bannedPasswords: checker })
        .rules.filter((r) => !r.ok)
        .map((r) => r.id);
    expect(failed('Tr4ck-Lamp-Velvet-91')).toEqual([]);
    expect(failed('Zq8#mR2!pL')).toEqual([]);
    // Lower case and spaces are 2 classes of 4: Entra's complexity rule, not the banned list.
    expect(failed('correct horse battery staple')).toEqual(['complexity.classes']);
    expect(failed('Correct horse battery staple')).toEqual([]);
  });

  it('accepts "correcthorsebatterystaple", which the whole list would reject', () => {
    expect(checker.check('correcthorsebatterystaple').accepted).toBe(true);
    const whole = createBannedPasswordChecker({
      globalTerms: loadCommonPasswords({ limit: Infinity }),
      customTerms: [],
    });
    expect(whole.check('correcthorsebatterystaple').accepted).toBe(false);
  });

  it('still scores Entra documented examples as documented', () => {
    const contoso = createBannedPasswordChecker({
      globalTerms: loadCommonPasswords(),
      customTerms: ['blank'],
    });
    const org = { organizationName: 'Contoso' };
    expect(contoso.check('C0ntos0Blank12', org)).toMatchObject({ score: 4, accepted: false });
    expect(contoso.check('ContoS0Bl@nkf9!', org)).toMatchObject({ score: 5, accepted: true });
    expect(contoso.check('p0LL23fb', { givenName: 'Poll' }).accepted).toBe(false);
  });
});
