import { describe, expect, it } from 'vitest';
import {
  type BannedPasswordChecker,
  type BannedPasswordIdentity,
  createBannedPasswordChecker,
} from './banned-passwords.js';
import {
  ALLOWED_SYMBOLS,
  type EffectivePasswordPolicy,
  type PasswordContext,
  type PasswordRuleId,
  characterClasses,
  cloudPasswordPolicy,
  describePolicy,
  effectivePasswordPolicySchema,
  evaluatePassword,
  passwordRuleIds,
} from './password-rules.js';

const noBannedTerms = createBannedPasswordChecker({ globalTerms: [], customTerms: [] });
const context: PasswordContext = { bannedPasswords: noBannedTerms };

const rule = (password: string, id: PasswordRuleId, policy = cloudPasswordPolicy, ctx = context) =>
  evaluatePassword(password, policy, ctx).rules.find((r) => r.id === id);

const adLike: EffectivePasswordPolicy = {
  minLength: 7,
  maxLength: 256,
  requiredClasses: 3,
  classesOutOf: 5,
  restrictToAllowedCharacters: false,
  bannedCheck: false,
  forbidAccountName: true,
  historyCount: 24,
  minAgeDays: 1,
};

describe('the effective policy value', () => {
  it('describes Entra cloud policy: 8–256, 3 of 4 classes, allowed characters, banned check', () => {
    expect(cloudPasswordPolicy).toEqual({
      minLength: 8,
      maxLength: 256,
      requiredClasses: 3,
      classesOutOf: 4,
      restrictToAllowedCharacters: true,
      bannedCheck: true,
    });
    expect(Object.isFrozen(cloudPasswordPolicy)).toBe(true);
    expect(effectivePasswordPolicySchema.parse(cloudPasswordPolicy)).toEqual(cloudPasswordPolicy);
  });

  it('leaves the directory rules absent from the cloud policy', () => {
    expect(cloudPasswordPolicy).not.toHaveProperty('historyCount');
    expect(cloudPasswordPolicy).not.toHaveProperty('minAgeDays');
    expect(cloudPasswordPolicy).not.toHaveProperty('forbidAccountName');
  });

  it('accepts a directory-like policy and refuses inconsistent ones', () => {
    expect(effectivePasswordPolicySchema.safeParse(adLike).success).toBe(true);
    const issues = (p: object) =>
      effectivePasswordPolicySchema.safeParse(p).error?.issues.map((i) => i.path.join('.'));
    expect(issues({ ...cloudPasswordPolicy, minLength: 300 })).toEqual(['minLength']);
    expect(issues({ ...cloudPasswordPolicy, requiredClasses: 5 })).toEqual(['requiredClasses']);
    expect(issues({ ...cloudPasswordPolicy, classesOutOf: 3 })).toEqual(['classesOutOf']);
    expect(issues({ ...cloudPasswordPolicy, maxAgeDays: 90 })).toEqual(['']);
  });
});

describe('length', () => {
  it('needs at least minLength characters', () => {
    expect(rule('Abcdef1', 'length.min')).toEqual({
      id: 'length.min',
      ok: false,
      message: 'At least 8 characters',
      params: { min: 8 },
    });
    expect(rule('Abcdef1!', 'length.min')?.ok).toBe(true);
  });

  it('allows at most maxLength characters', () => {
    expect(rule(`Aa1${'x'.repeat(253)}`, 'length.max')?.ok).toBe(true);
    expect(rule(`Aa1${'x'.repeat(254)}`, 'length.max')).toEqual({
      id: 'length.max',
      ok: false,
      message: 'At most 256 characters',
      params: { max: 256 },
    });
  });

  it('counts characters, not UTF-16 units', () => {
    const open = { ...cloudPasswordPolicy, restrictToAllowedCharacters: false };
    expect(rule('Ab1😀😀😀😀', 'length.min', open)?.ok).toBe(false);
    expect(rule('Ab1😀😀😀😀😀', 'length.min', open)?.ok).toBe(true);
  });
});

describe('characters.allowed', () => {
  it('allows letters, digits, space and every listed symbol', () => {
    const everything = `AZaz09${ALLOWED_SYMBOLS}`;
    expect(ALLOWED_SYMBOLS).toHaveLength(33);
    expect(rule(everything, 'characters.allowed')?.ok).toBe(true);
  });

  it.each(['é', '€', '£', '😀', '\t', 'ß', 'Ω', '\u00a0'])(
    'refuses %j (no other Unicode)',
    (char) => {
      expect(rule(`Abcdef1!${char}`, 'characters.allowed')).toMatchObject({
        ok: false,
        params: { disallowed: 1 },
      });
    },
  );

  it('is not evaluated when the policy turns it off', () => {
    expect(rule('Abcdef1!é', 'characters.allowed', adLike)).toBeUndefined();
  });
});

describe('complexity.classes', () => {
  it('finds the classes present', () => {
    expect(characterClasses('aA1!')).toEqual(['lower', 'upper', 'digit', 'symbol']);
    expect(characterClasses('a b')).toEqual(['lower', 'symbol']);
    expect(characterClasses('éÉ日')).toEqual(['lower', 'upper', 'otherLetter']);
    expect(characterClasses('٣')).toEqual([]);
  });

  it.each([
    ['abcdefgh', false, ['lower']],
    ['abcdefg1', false, ['lower', 'digit']],
    ['Abcdefg1', true, ['lower', 'upper', 'digit']],
    ['abcdef1!', true, ['lower', 'digit', 'symbol']],
    ['abc def 1', true, ['lower', 'digit', 'symbol']],
    ['ABCDEF1!', true, ['upper', 'digit', 'symbol']],
  ])('%s passes: %s', (password, ok, present) => {
    expect(rule(password, 'complexity.classes')).toEqual({
      id: 'complexity.classes',
      ok,
      message: 'At least 3 of these 4: lowercase letters, uppercase letters, digits, symbols',
      params: { required: 3, outOf: 4, present },
    });
  });

  it('counts letters without case only when the policy has 5 classes', () => {
    expect(rule('abcdef1日', 'complexity.classes', adLike)?.ok).toBe(true);
    const fourClasses = { ...adLike, classesOutOf: 4 as const };
    expect(rule('abcdef1日', 'complexity.classes', fourClasses)?.ok).toBe(false);
  });

  it('is absent when no class is required', () => {
    expect(
      rule('abcdefgh', 'complexity.classes', { ...cloudPasswordPolicy, requiredClasses: 0 }),
    ).toBeUndefined();
  });
});

describe('complexity.accountName (AD)', () => {
  const who = { ...context, accountName: 'jsmith', displayName: 'John Smith-Jones' };

  it.each(['Xjsmith#1', 'xJSMITH#1', 'Abc#jones1', 'Abc#John99'])('refuses %s', (password) => {
    expect(rule(password, 'complexity.accountName', adLike, who)).toEqual({
      id: 'complexity.accountName',
      ok: false,
      message: 'Does not contain your account name or parts of your full name',
    });
  });

  it('accepts passwords without them, and ignores names shorter than 3 characters', () => {
    expect(rule('Harbour#71', 'complexity.accountName', adLike, who)?.ok).toBe(true);
    const short = { ...context, accountName: 'js', displayName: 'Li Wu' };
    expect(rule('jsLiWu#12', 'complexity.accountName', adLike, short)?.ok).toBe(true);
  });

  it('is absent from the cloud policy', () => {
    expect(rule('Xjsmith#1', 'complexity.accountName', cloudPasswordPolicy, who)).toBeUndefined();
  });
});

describe('banned', () => {
  const checker = createBannedPasswordChecker({ globalTerms: ['monkey'], customTerms: ['blank'] });
  const contoso: PasswordContext = {
    bannedPasswords: checker,
    givenName: 'Poll',
    surname: 'Lee',
    organizationName: 'Contoso',
  };

  it('passes the user and organisation to the checker', () => {
    const result = rule('C0ntos0Blank12', 'banned', cloudPasswordPolicy, contoso);
    expect(result).toEqual({
      id: 'banned',
      ok: false,
      message:
        'Your password contains words or characters that have been blocked by your administrator. Choose a different password.',
      params: { score: 4, minScore: 5, sources: ['organization', 'custom'] },
    });
    expect(rule('p0LL23fb', 'banned', cloudPasswordPolicy, contoso)).toMatchObject({
      ok: false,
      message:
        'Your password contains a word, phrase or pattern that makes it easily guessable. Choose a different password.',
      params: { sources: ['name'] },
    });
  });

  it('passes with five points', () => {
    expect(rule('ContoS0Bl@nkf9!', 'banned', cloudPasswordPolicy, contoso)).toEqual({
      id: 'banned',
      ok: true,
      message: 'Not a common password, and not built around your name or the organisation’s name',
      params: { score: 5, minScore: 5, sources: ['organization', 'custom'] },
    });
  });

  it('is skipped, not run, when the password is over the maximum length', () => {
    const calls: string[] = [];
    const spy: BannedPasswordChecker = {
      size: { global: 0, custom: 0 },
      check: (password: string, identity?: BannedPasswordIdentity) => {
        calls.push(password);
        return noBannedTerms.check(password, identity);
      },
    };
    const result = evaluatePassword(`Aa1!${'x'.repeat(300)}`, cloudPasswordPolicy, {
      bannedPasswords: spy,
    });
    expect(calls).toEqual([]);
    expect(result.rules.map((r) => r.id)).not.toContain('banned');
    expect(result.notEvaluated).toEqual([{ id: 'banned', reason: 'skipped' }]);
    expect(result.ok).toBe(false);
  });

  it('is absent when the policy turns it off', () => {
    const off = { ...cloudPasswordPolicy, bannedCheck: false };
    expect(rule('Monkey12!', 'banned', off, contoso)).toBeUndefined();
    expect(rule('Monkey12!', 'banned', cloudPasswordPolicy, contoso)?.ok).toBe(false);
  });
});

describe('evaluatePassword', () => {
  it('answers every cloud rule in order, ok only when all pass', () => {
    const good = evaluatePassword('Harbour#71Kettle', cloudPasswordPolicy, context);
    expect(good.ok).toBe(true);
    expect(good.rules.map((r) => [r.id, r.ok])).toEqual([
      ['length.min', true],
      ['length.max', true],
      ['characters.allowed', true],
      ['complexity.classes', true],
      ['banned', true],
    ]);
    expect(good.notEvaluated).toEqual([]);
    const bad = evaluatePassword('harbour#71kettlé', cloudPasswordPolicy, context);
    expect(bad.ok).toBe(false);
    expect(bad.rules.filter((r) => !r.ok).map((r) => r.id)).toEqual(['characters.allowed']);
  });

  it('lists the directory rules as not evaluated, never as passed', () => {
    const result = evaluatePassword('Harbour#71', adLike, context);
    expect(result.rules.map((r) => r.id)).toEqual([
      'length.min',
      'length.max',
      'complexity.classes',
      'complexity.accountName',
    ]);
    expect(result.notEvaluated).toEqual([
      { id: 'history', reason: 'directory' },
      { id: 'age.min', reason: 'directory' },
    ]);
  });

  it('uses only the stable rule ids', () => {
    const result = evaluatePassword('x', adLike, context);
    for (const r of result.rules) expect(passwordRuleIds).toContain(r.id);
  });

  it.each(['Zz9-C0ntos0-Bl@nk-Qq', 'short', `Aa1!${'y'.repeat(300)}`, 'jsmith-Élan'])(
    'never puts the password into the answer (%#)',
    (password) => {
      const result = evaluatePassword(password, adLike, {
        bannedPasswords: createBannedPasswordChecker({ globalTerms: [], customTerms: ['blank'] }),
        accountName: 'jsmith',
        organizationName: 'Contoso',
      });
      const cloud = evaluatePassword(password, cloudPasswordPolicy, context);
      expect(JSON.stringify([result, cloud])).not.toContain(password);
    },
  );
});

describe('describePolicy', () => {
  it('lists the cloud rules for display before the user types', () => {
    expect(describePolicy(cloudPasswordPolicy)).toEqual([
      {
        id: 'length.min',
        message: 'At least 8 characters',
        params: { min: 8 },
        checkedBy: 'server',
      },
      {
        id: 'length.max',
        message: 'At most 256 characters',
        params: { max: 256 },
        checkedBy: 'server',
      },
      {
        id: 'characters.allowed',
        message: `Only letters A–Z and a–z, digits 0–9, spaces and these symbols: ${ALLOWED_SYMBOLS.trim()}`,
        params: { symbols: ALLOWED_SYMBOLS },
        checkedBy: 'server',
      },
      {
        id: 'complexity.classes',
        message: 'At least 3 of these 4: lowercase letters, uppercase letters, digits, symbols',
        params: { required: 3, outOf: 4, classes: ['lower', 'upper', 'digit', 'symbol'] },
        checkedBy: 'server',
      },
      {
        id: 'banned',
        message: 'Not a common password, and not built around your name or the organisation’s name',
        params: { minScore: 5 },
        checkedBy: 'server',
      },
    ]);
  });

  it('marks the directory rules as checked by the directory', () => {
    const described = describePolicy(adLike);
    expect(described.map((d) => [d.id, d.checkedBy])).toEqual([
      ['length.min', 'server'],
      ['length.max', 'server'],
      ['complexity.classes', 'server'],
      ['complexity.accountName', 'server'],
      ['history', 'directory'],
      ['age.min', 'directory'],
    ]);
    expect(described.find((d) => d.id === 'history')?.message).toBe(
      'Differs from your last 24 passwords',
    );
    expect(described.find((d) => d.id === 'age.min')?.message).toBe(
      'Can be changed only once every 1 day (counted from the last change)',
    );
    expect(described.find((d) => d.id === 'complexity.classes')?.message).toBe(
      'At least 3 of these 5: lowercase letters, uppercase letters, digits, symbols, letters without case (for example Asian scripts)',
    );
  });

  it('describes the same rules evaluatePassword answers', () => {
    for (const policy of [cloudPasswordPolicy, adLike]) {
      const evaluation = evaluatePassword('Harbour#71', policy, context);
      const answered = [...evaluation.rules, ...evaluation.notEvaluated].map((r) => r.id);
      expect(describePolicy(policy).map((d) => d.id)).toEqual(answered);
    }
  });
});
