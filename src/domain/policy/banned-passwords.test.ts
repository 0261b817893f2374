import { describe, expect, it } from 'vitest';
import {
  CHARACTER_SUBSTITUTIONS,
  MIN_ACCEPTED_SCORE,
  codePointLength,
  createBannedPasswordChecker,
  normaliseBannedTerm,
  normaliseForBannedCheck,
} from './banned-passwords.js';

const checker = (customTerms: string[] = [], globalTerms: string[] = []) =>
  createBannedPasswordChecker({ globalTerms, customTerms });

describe('normaliseForBannedCheck', () => {
  it('lower-cases and applies the substitutions Entra publishes', () => {
    expect(normaliseForBannedCheck('Bl@nK')).toBe('blank');
    expect(normaliseForBannedCheck('0 1 $ @')).toBe('o l s a');
  });

  it('applies our documented look-alikes too', () => {
    expect(normaliseForBannedCheck('3 4 5 7 8 9 ! | +')).toBe('e a s t b g i l t');
    expect(Object.keys(CHARACTER_SUBSTITUTIONS)).toHaveLength(13);
  });

  it('leaves other characters alone', () => {
    expect(normaliseForBannedCheck('2 6 # ~ é')).toBe('2 6 # ~ é');
  });
});

describe('normaliseBannedTerm', () => {
  it('keeps terms of 4 to 16 characters after trimming and normalising', () => {
    expect(normaliseBannedTerm('  P@ss ')).toBe('pass');
    expect(normaliseBannedTerm('abc')).toBeNull();
    expect(normaliseBannedTerm('a'.repeat(16))).toBe('a'.repeat(16));
    expect(normaliseBannedTerm('a'.repeat(17))).toBeNull();
  });
});

describe('codePointLength', () => {
  it('counts a character outside the BMP once', () => {
    expect(codePointLength('a😀b')).toBe(3);
  });
});

describe('Entra documented examples', () => {
  const contoso = checker(['blank']);

  it('"C0ntos0Blank12" scores 4 (contoso + blank + 1 + 2) and is rejected', () => {
    const result = contoso.check('C0ntos0Blank12', { organizationName: 'Contoso' });
    expect(result.score).toBe(4);
    expect(result.accepted).toBe(false);
    expect(result.matches).toEqual([
      { term: 'contoso', source: 'organization', fuzzy: false },
      { term: 'blank', source: 'custom', fuzzy: false },
    ]);
  });

  it('"ContoS0Bl@nkf9!" scores 5 (contoso + blank + f + 9 + !) and is accepted', () => {
    const result = contoso.check('ContoS0Bl@nkf9!', { organizationName: 'Contoso' });
    expect(result.score).toBe(5);
    expect(result.accepted).toBe(true);
  });

  it('user "Poll" cannot use "p0LL23fb", although it scores 5', () => {
    const result = checker().check('p0LL23fb', { givenName: 'Poll' });
    expect(result.score).toBe(MIN_ACCEPTED_SCORE);
    expect(result.accepted).toBe(false);
    expect(result.matches).toContainEqual({ term: 'poll', source: 'name', fuzzy: false });
  });

  it('rejects the surname the same way, and accepts when the name is absent', () => {
    expect(checker().check('xSmith42Qz', { surname: 'Smith' }).accepted).toBe(false);
    expect(checker().check('p0LL23fb', { givenName: 'Anna' }).accepted).toBe(true);
  });
});

describe('fuzzy matching of the whole password (edit distance 1)', () => {
  const abcdef = checker([], ['abcdef']);

  it.each(['abcdeg', 'abcdefg', 'abcde', 'xabcdef', 'bcdef', 'abXdef'])(
    'matches %s against "abcdef"',
    (password) => {
      const result = abcdef.check(password);
      expect(result.accepted).toBe(false);
      expect(result.score).toBe(1);
      expect(result.matches).toEqual([{ term: 'abcdef', source: 'global', fuzzy: true }]);
    },
  );

  it('matches one insertion into the longest term (17 characters against 16)', () => {
    const long = checker([], ['abcdefghijklmnop']);
    expect(long.check('abcdefghXijklmnop').matches).toEqual([
      { term: 'abcdefghijklmnop', source: 'global', fuzzy: true },
    ]);
  });

  it('reports an exact match as not fuzzy', () => {
    expect(abcdef.check('ABCDEF').matches).toEqual([
      { term: 'abcdef', source: 'global', fuzzy: false },
    ]);
  });

  it.each(['abcdxy', 'abcdfe', 'xbcdeg', 'abcd'])(
    'does not match %s (two edits away; a transposition is two edits)',
    (password) => {
      const result = abcdef.check(password);
      expect(result.matches).toEqual([]);
      expect(result.score).toBe(password.length);
    },
  );

  it('compares normalised forms: "@bcd3f" is "abcdef"', () => {
    expect(abcdef.check('@bcd3f!').matches).toEqual([
      { term: 'abcdef', source: 'global', fuzzy: true },
    ]);
  });
});

describe('substring matching and scoring', () => {
  it('scores one point per remaining character when nothing matches', () => {
    expect(checker().check('zqxwvk')).toEqual({ score: 6, accepted: true, matches: [] });
    expect(checker().check('zqxw').accepted).toBe(false);
  });

  it('counts a character outside the BMP as one point', () => {
    expect(checker().check('😀😀😀😀😀').score).toBe(5);
  });

  it('finds list terms anywhere in the password', () => {
    const result = checker(['blank'], ['monkey']).check('xMonkeyyBl@nk');
    expect(result.score).toBe(4);
    expect(result.matches.map((m) => m.term)).toEqual(['monkey', 'blank']);
  });

  it('chooses the lowest-scoring segmentation, not the longest term first', () => {
    // "password" + f, i, s, h = 5 would accept; "pass" + "wordfish" = 2 rejects.
    const result = checker([], ['password', 'pass', 'wordfish']).check('passwordfish');
    expect(result.score).toBe(2);
    expect(result.accepted).toBe(false);
    expect(result.matches.map((m) => m.term)).toEqual(['pass', 'wordfish']);
  });

  it('counts a term once per occurrence', () => {
    expect(checker(['blank']).check('blankblankblank').score).toBe(3);
  });

  it('ignores terms and names shorter than 4 characters', () => {
    const short = checker(['abc'], ['xyz']);
    expect(short.size).toEqual({ global: 0, custom: 0 });
    expect(short.check('abcxyzbob', { givenName: 'Bob' })).toEqual({
      score: 9,
      accepted: true,
      matches: [],
    });
  });

  it('matches each word of a multi-word name and the name written as one word', () => {
    const plain = checker();
    expect(plain.check('qqfabrikam9', { organizationName: 'Fabrikam Ltd' }).score).toBe(4);
    expect(plain.check('qfabrikamltd', { organizationName: 'Fabrikam Ltd' }).matches).toEqual([
      { term: 'fabrikamltd', source: 'organization', fuzzy: false },
    ]);
    expect(plain.check('Xx-Jones-Yy', { surname: 'Smith-Jones' }).accepted).toBe(false);
  });

  it('does not match names fuzzily', () => {
    expect(checker().check('pool23fb', { givenName: 'Poll' })).toEqual({
      score: 8,
      accepted: true,
      matches: [],
    });
  });

  it('accepts null and missing identity fields', () => {
    expect(checker().check('zqxwvk', { givenName: null, surname: null }).accepted).toBe(true);
  });
});

describe('the lists', () => {
  it('normalises and de-duplicates terms; a term on both lists counts as custom', () => {
    const both = checker(['Bl@nk', 'BLANK'], ['blank', 'monkey', 'M0nkey']);
    expect(both.size).toEqual({ global: 1, custom: 1 });
    expect(both.check('xxblankxx').matches).toEqual([
      { term: 'blank', source: 'custom', fuzzy: false },
    ]);
  });

  it('drops terms containing NUL, the index wildcard', () => {
    expect(checker(['ab\u0000cd']).size).toEqual({ global: 0, custom: 0 });
  });

  it('accepts any iterable, such as a Set or a generator', () => {
    function* terms() {
      yield 'monkey';
    }
    const fromIterables = createBannedPasswordChecker({
      globalTerms: terms(),
      customTerms: new Set(['blank']),
    });
    expect(fromIterables.size).toEqual({ global: 1, custom: 1 });
  });
});

describe('safety and cost', () => {
  it('never returns the password itself', () => {
    const password = 'Zz9-C0ntos0-Bl@nk-Qq';
    const result = checker(['blank']).check(password, { organizationName: 'Contoso' });
    expect(JSON.stringify(result)).not.toContain(password);
    expect(JSON.stringify(result)).not.toContain(normaliseForBannedCheck(password));
  });

  it('checks in well under a millisecond with 50,000 terms', () => {
    // Deterministic pseudo-words: a linear congruential generator, no Math.random.
    let seed = 42;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31);
    const word = () =>
      Array.from({ length: 4 + (next() % 9) }, () => String.fromCharCode(97 + (next() % 26))).join(
        '',
      );
    const big = createBannedPasswordChecker({
      globalTerms: Array.from({ length: 49_000 }, word),
      customTerms: Array.from({ length: 1000 }, word),
    });
    const passwords = Array.from({ length: 200 }, () => `${word()}-${word()}-${word()}!9`);
    const started = performance.now();
    for (const password of passwords) big.check(password, { givenName: 'Anna', surname: 'Lee' });
    const perCheck = (performance.now() - started) / passwords.length;
    expect(perCheck).toBeLessThan(1);
  });
});
