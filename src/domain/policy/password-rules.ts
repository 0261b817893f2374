import { z } from 'zod';
import type { BannedPasswordChecker, BannedTermSource } from './banned-passwords.js';
import { codePointLength, MIN_ACCEPTED_SCORE } from './banned-passwords.js';

/**
 * The password policy engine (product.md P7): an effective policy value, a rule-by-rule
 * evaluation of a candidate password, and the human list of rules to show before the user types.
 * Entra's cloud policy (reference/entra-sspr.md §3.1) is {@link cloudPasswordPolicy}; a later issue
 * combines it with the user's directory policy (domain policy or PSO) into one of these values.
 *
 * Rules only this server can check are evaluated here; rules only the directory can check (history,
 * minimum age) are described and listed as not evaluated, never reported as passed.
 * No message, parameter or error carries the password or a part of it.
 */

/** The symbols Entra allows, space included (§3.1). */
export const ALLOWED_SYMBOLS = '@#$%^&*-_!+=[]{}|\\:\',.?/`~"();<> ';

const allowedCharacter = /^[A-Za-z0-9@#$%^&*\-_!+=[\]{}|\\:',.?/`~"();<> ]$/;

/**
 * Character classes for complexity. `otherLetter` is AD's fifth category (letters that are neither
 * upper nor lower case, e.g. most Asian scripts); it counts only when `classesOutOf` is 5.
 */
export type CharacterClass = 'lower' | 'upper' | 'digit' | 'symbol' | 'otherLetter';

const classOrder: readonly CharacterClass[] = ['lower', 'upper', 'digit', 'symbol', 'otherLetter'];

const classNames: Readonly<Record<CharacterClass, string>> = {
  lower: 'lowercase letters',
  upper: 'uppercase letters',
  digit: 'digits',
  symbol: 'symbols',
  otherLetter: 'letters without case (for example Asian scripts)',
};

/** Stable rule ids, answered by {@link evaluatePassword} and {@link describePolicy}. */
export const passwordRuleIds = [
  'length.min',
  'length.max',
  'characters.allowed',
  'complexity.classes',
  'complexity.accountName',
  'banned',
  'history',
  'age.min',
] as const;
export type PasswordRuleId = (typeof passwordRuleIds)[number];

export const effectivePasswordPolicySchema = z
  .object({
    minLength: z.number().int().min(1).max(1024),
    maxLength: z.number().int().min(1).max(1024),
    /** Classes the password must contain; 0 turns the complexity rule off. */
    requiredClasses: z.number().int().min(0).max(5),
    /** 4 (Entra: lower, upper, digit, symbol) or 5 (AD adds letters without case). */
    classesOutOf: z.union([z.literal(4), z.literal(5)]),
    /** Only A–Z, a–z, 0–9, {@link ALLOWED_SYMBOLS} (Entra: no other Unicode). */
    restrictToAllowedCharacters: z.boolean(),
    /** Entra's banned-password check (global list, custom list, names). */
    bannedCheck: z.boolean(),
    /**
     * AD complexity: no account name, no display-name token of 3+ characters. Absent = not part of
     * the policy.
     */
    forbidAccountName: z.boolean().optional(),
    /** Directory history (passwords remembered). Enforced by the directory on write, not here. */
    historyCount: z.number().int().min(0).max(1024).optional(),
    /** Directory minimum password age. Enforced by the directory on write, not here. */
    minAgeDays: z.number().min(0).max(998).optional(),
  })
  .strict()
  .refine((p) => p.minLength <= p.maxLength, {
    path: ['minLength'],
    message: 'minLength must not exceed maxLength',
  })
  .refine((p) => p.requiredClasses <= p.classesOutOf, {
    path: ['requiredClasses'],
    message: 'requiredClasses must not exceed classesOutOf',
  });

export type EffectivePasswordPolicy = Readonly<z.infer<typeof effectivePasswordPolicySchema>>;

/** Entra's cloud password policy (§3.1): 8–256 characters, 3 of 4 classes, ASCII only, banned check. */
export const cloudPasswordPolicy: EffectivePasswordPolicy = Object.freeze({
  minLength: 8,
  maxLength: 256,
  requiredClasses: 3,
  classesOutOf: 4,
  restrictToAllowedCharacters: true,
  bannedCheck: true,
});

/** What the rules need to know about the user, and the banned-password checker to use. */
export interface PasswordContext {
  readonly givenName?: string | null;
  readonly surname?: string | null;
  /** The account name: sAMAccountName for directory users, the UPN's local part otherwise. */
  readonly accountName?: string | null;
  /** Full name, split into tokens for AD's complexity rule. */
  readonly displayName?: string | null;
  readonly organizationName?: string | null;
  readonly bannedPasswords: BannedPasswordChecker;
}

export type RuleParams = Readonly<Record<string, number | string | readonly string[]>>;

export interface PasswordRuleResult {
  readonly id: PasswordRuleId;
  readonly ok: boolean;
  readonly message: string;
  readonly params?: RuleParams;
}

export interface PasswordEvaluation {
  /** True when every evaluated rule passed. */
  readonly ok: boolean;
  readonly rules: readonly PasswordRuleResult[];
  /**
   * Rules of the policy not decided here: `directory` ones are enforced by the directory when the
   * password is written; `skipped` ones were not run because the password is over the maximum length.
   */
  readonly notEvaluated: ReadonlyArray<{
    readonly id: PasswordRuleId;
    readonly reason: 'directory' | 'skipped';
  }>;
}

export interface PolicyRuleDescription {
  readonly id: PasswordRuleId;
  readonly message: string;
  readonly params?: RuleParams;
  /** Who enforces the rule: this server (checked as the user types) or the directory on write. */
  readonly checkedBy: 'server' | 'directory';
}

function classOf(char: string): CharacterClass | null {
  if (/^[0-9]$/.test(char)) return 'digit';
  if (/^\p{Ll}$/u.test(char)) return 'lower';
  if (/^\p{Lu}$/u.test(char)) return 'upper';
  if (/^\p{L}$/u.test(char)) return 'otherLetter';
  if (/^\p{N}$/u.test(char)) return null; // non-ASCII digits count in no class
  return 'symbol';
}

/** The character classes present in the password, in a fixed order. */
export function characterClasses(password: string): CharacterClass[] {
  const present = new Set<CharacterClass>();
  for (const char of password) {
    const found = classOf(char);
    if (found !== null) present.add(found);
  }
  return classOrder.filter((c) => present.has(c));
}

const countedClasses = (outOf: 4 | 5): readonly CharacterClass[] => classOrder.slice(0, outOf);

const plural = (n: number, word: string): string => `${String(n)} ${word}${n === 1 ? '' : 's'}`;

const messages = {
  lengthMin: (min: number) => `At least ${plural(min, 'character')}`,
  lengthMax: (max: number) => `At most ${plural(max, 'character')}`,
  allowed: () =>
    `Only letters A–Z and a–z, digits 0–9, spaces and these symbols: ${ALLOWED_SYMBOLS.trim()}`,
  classes: (required: number, outOf: 4 | 5) =>
    `At least ${String(required)} of these ${String(outOf)}: ${countedClasses(outOf)
      .map((c) => classNames[c])
      .join(', ')}`,
  accountName: () => 'Does not contain your account name or parts of your full name',
  banned: () => 'Not a common password, and not built around your name or the organisation’s name',
  bannedFailed: () =>
    'Your password contains a word, phrase or pattern that makes it easily guessable. Choose a different password.',
  bannedCustomFailed: () =>
    'Your password contains words or characters that have been blocked by your administrator. Choose a different password.',
  history: (count: number) => `Differs from your last ${plural(count, 'password')}`,
  minAge: (days: number) =>
    `Can be changed only once every ${plural(days, 'day')} (counted from the last change)`,
};

/** The policy as a list of rules to show before the user types, in evaluation order. */
export function describePolicy(policy: EffectivePasswordPolicy): PolicyRuleDescription[] {
  const rules: PolicyRuleDescription[] = [
    {
      id: 'length.min',
      message: messages.lengthMin(policy.minLength),
      params: { min: policy.minLength },
      checkedBy: 'server',
    },
    {
      id: 'length.max',
      message: messages.lengthMax(policy.maxLength),
      params: { max: policy.maxLength },
      checkedBy: 'server',
    },
  ];
  if (policy.restrictToAllowedCharacters) {
    rules.push({
      id: 'characters.allowed',
      message: messages.allowed(),
      params: { symbols: ALLOWED_SYMBOLS },
      checkedBy: 'server',
    });
  }
  if (policy.requiredClasses > 0) {
    rules.push({
      id: 'complexity.classes',
      message: messages.classes(policy.requiredClasses, policy.classesOutOf),
      params: {
        required: policy.requiredClasses,
        outOf: policy.classesOutOf,
        classes: countedClasses(policy.classesOutOf),
      },
      checkedBy: 'server',
    });
  }
  if (policy.forbidAccountName === true) {
    rules.push({
      id: 'complexity.accountName',
      message: messages.accountName(),
      checkedBy: 'server',
    });
  }
  if (policy.bannedCheck) {
    rules.push({
      id: 'banned',
      message: messages.banned(),
      params: { minScore: MIN_ACCEPTED_SCORE },
      checkedBy: 'server',
    });
  }
  if (policy.historyCount !== undefined && policy.historyCount > 0) {
    rules.push({
      id: 'history',
      message: messages.history(policy.historyCount),
      params: { count: policy.historyCount },
      checkedBy: 'directory',
    });
  }
  if (policy.minAgeDays !== undefined && policy.minAgeDays > 0) {
    rules.push({
      id: 'age.min',
      message: messages.minAge(policy.minAgeDays),
      params: { days: policy.minAgeDays },
      checkedBy: 'directory',
    });
  }
  return rules;
}

/** Delimiters AD splits the display name on for its complexity rule. */
const displayNameDelimiters = /[,.\-_#\t ]+/;

/**
 * AD's "not contain account name" complexity rule: the account name (when 3+ characters) and each
 * display-name token of 3+ characters must not occur in the password, ignoring case.
 */
function containsAccountName(password: string, context: PasswordContext): boolean {
  const lower = password.toLowerCase();
  const account = context.accountName?.toLowerCase() ?? '';
  const tokens = (context.displayName ?? '')
    .toLowerCase()
    .split(displayNameDelimiters)
    .filter((t) => codePointLength(t) >= 3);
  if (codePointLength(account) >= 3 && lower.includes(account)) return true;
  return tokens.some((t) => lower.includes(t));
}

function bannedRule(password: string, context: PasswordContext): PasswordRuleResult {
  const result = context.bannedPasswords.check(password, {
    givenName: context.givenName,
    surname: context.surname,
    organizationName: context.organizationName,
  });
  const sources = [...new Set<BannedTermSource>(result.matches.map((m) => m.source))];
  const params: RuleParams = { score: result.score, minScore: MIN_ACCEPTED_SCORE, sources };
  if (result.accepted) return { id: 'banned', ok: true, message: messages.banned(), params };
  const message = sources.includes('custom')
    ? messages.bannedCustomFailed()
    : messages.bannedFailed();
  return { id: 'banned', ok: false, message, params };
}

/**
 * Evaluates a candidate password against the policy, rule by rule, in {@link describePolicy}
 * order. The banned check is skipped (listed in `notEvaluated`) for a password over the maximum
 * length, which bounds its cost whatever the input.
 */
export function evaluatePassword(
  password: string,
  policy: EffectivePasswordPolicy,
  context: PasswordContext,
): PasswordEvaluation {
  const length = codePointLength(password);
  const rules: PasswordRuleResult[] = [];
  const notEvaluated: Array<PasswordEvaluation['notEvaluated'][number]> = [];

  rules.push({
    id: 'length.min',
    ok: length >= policy.minLength,
    message: messages.lengthMin(policy.minLength),
    params: { min: policy.minLength },
  });
  const withinMax = length <= policy.maxLength;
  rules.push({
    id: 'length.max',
    ok: withinMax,
    message: messages.lengthMax(policy.maxLength),
    params: { max: policy.maxLength },
  });
  if (policy.restrictToAllowedCharacters) {
    const disallowed = Array.from(password).filter((c) => !allowedCharacter.test(c)).length;
    rules.push({
      id: 'characters.allowed',
      ok: disallowed === 0,
      message: messages.allowed(),
      params: { disallowed },
    });
  }
  if (policy.requiredClasses > 0) {
    const counted = countedClasses(policy.classesOutOf);
    const present = characterClasses(password).filter((c) => counted.includes(c));
    rules.push({
      id: 'complexity.classes',
      ok: present.length >= policy.requiredClasses,
      message: messages.classes(policy.requiredClasses, policy.classesOutOf),
      params: { required: policy.requiredClasses, outOf: policy.classesOutOf, present },
    });
  }
  if (policy.forbidAccountName === true) {
    rules.push({
      id: 'complexity.accountName',
      ok: !containsAccountName(password, context),
      message: messages.accountName(),
    });
  }
  if (policy.bannedCheck) {
    if (withinMax) rules.push(bannedRule(password, context));
    else notEvaluated.push({ id: 'banned', reason: 'skipped' });
  }
  if (policy.historyCount !== undefined && policy.historyCount > 0) {
    notEvaluated.push({ id: 'history', reason: 'directory' });
  }
  if (policy.minAgeDays !== undefined && policy.minAgeDays > 0) {
    notEvaluated.push({ id: 'age.min', reason: 'directory' });
  }
  return { ok: rules.every((r) => r.ok), rules, notEvaluated };
}
