import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { normaliseBannedTerm } from '../../domain/policy/banned-passwords.js';

/**
 * The global banned-password list shipped with the product (docs/password-policy.md).
 *
 * Source: `src/passwords.json` of the npm package @zxcvbn-ts/language-common 3.0.4 (MIT): about
 * 49k passwords ranked by frequency, built by zxcvbn-ts's data scripts from Mark Burnett's
 * "ten million passwords" leak corpus (xato.net, 2015), lower-cased, seen more than 10 times, minus
 * the ones zxcvbn's own patterns already catch (dates, years, repeats, sequences).
 *
 * Entra's scoring counts every listed term found inside a password, so the whole list is far too
 * aggressive (it rejects "correcthorsebatterystaple"). We keep the {@link COMMON_PASSWORDS_LIMIT}
 * best-ranked terms after normalising and filtering to 4–16 characters, and add the years
 * {@link YEAR_TERMS}, which the source list lacks and "Summer2024!"-style passwords rely on.
 */
export const COMMON_PASSWORDS_PACKAGE = '@zxcvbn-ts/language-common';
export const COMMON_PASSWORDS_FILE = `${COMMON_PASSWORDS_PACKAGE}/src/passwords.json`;
/** Best-ranked distinct terms kept from the source list, counted after normalising and filtering. */
export const COMMON_PASSWORDS_LIMIT = 10_000;
/** Years added to the list (inclusive). */
export const YEAR_TERMS = Object.freeze({ from: 1940, to: 2039 });

export interface CommonPasswordsOptions {
  /** How many ranked terms to keep; defaults to {@link COMMON_PASSWORDS_LIMIT}. */
  readonly limit?: number;
  /** Add {@link YEAR_TERMS}; defaults to true. */
  readonly includeYears?: boolean;
}

const isStringArray = (value: unknown): value is string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/** Reads the ranked source list, in rank order, as shipped (not normalised). */
export function readRankedPasswords(): string[] {
  const path = createRequire(import.meta.url).resolve(COMMON_PASSWORDS_FILE);
  const parsed: unknown = JSON.parse(readFileSync(path, 'utf8'));
  if (!isStringArray(parsed)) {
    throw new Error(`${COMMON_PASSWORDS_FILE} is not a JSON array of strings`);
  }
  return parsed;
}

/** Normalised, 4–16 characters, first occurrence kept: rank order preserved. */
export function selectTerms(ranked: Iterable<string>, limit: number): string[] {
  const kept = new Set<string>();
  for (const password of ranked) {
    if (kept.size >= limit) break;
    const term = normaliseBannedTerm(password);
    if (term !== null) kept.add(term);
  }
  return [...kept];
}

export function yearTerms(): string[] {
  const { from, to } = YEAR_TERMS;
  return Array.from({ length: to - from + 1 }, (_, i) => String(from + i));
}

/** The global list: the top-ranked common passwords plus the years, normalised and distinct. */
export function loadCommonPasswords(options: CommonPasswordsOptions = {}): string[] {
  const ranked = selectTerms(readRankedPasswords(), options.limit ?? COMMON_PASSWORDS_LIMIT);
  const years = options.includeYears === false ? [] : selectTerms(yearTerms(), Infinity);
  return [...new Set([...ranked, ...years])];
}
