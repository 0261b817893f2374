/**
 * Entra's banned-password algorithm (reference/entra-sspr.md §3.2, docs/password-policy.md):
 * normalise, match terms, score; a password needs at least 5 points.
 *
 * 1. Normalise: lower-case, then substitute look-alike characters (table below).
 * 2. Fuzzy match: the whole normalised password against every global and custom term, with an
 *    edit distance of at most 1 (substitute, insert or delete one character).
 * 3. Substring match: terms of 4+ characters found anywhere in the normalised password, from the
 *    global list, the custom list, the user's given name and surname, and the organisation's name.
 * 4. Score: +1 per term found, +1 per remaining character, over the segmentation of the password
 *    into terms and single characters that gives the LOWEST score (the strictest reading).
 *    Accepted when the score is at least 5 and the password does not contain the user's own name
 *    (Entra documents "p0LL23fb" as rejected for user Poll although it scores 5).
 *
 * Pure and synchronous; the indexes are built once, so a check costs microseconds.
 * Nothing here puts the password into an error or a message.
 */

export const BANNED_TERM_MIN_LENGTH = 4;
export const BANNED_TERM_MAX_LENGTH = 16;
/** A password must score at least this many points to be accepted. */
export const MIN_ACCEPTED_SCORE = 5;

/**
 * Character substitutions applied after lower-casing. Entra publishes `0→o 1→l $→s @→a` "such as"
 * without the full table; the others are the usual look-alikes (leetspeak), chosen so that the
 * documented examples still score as documented.
 */
export const CHARACTER_SUBSTITUTIONS: Readonly<Record<string, string>> = Object.freeze({
  // Published by Microsoft.
  '0': 'o',
  '1': 'l',
  $: 's',
  '@': 'a',
  // Ours.
  '3': 'e',
  '4': 'a',
  '5': 's',
  '7': 't',
  '8': 'b',
  '9': 'g',
  '!': 'i',
  '|': 'l',
  '+': 't',
});

const substitutions = new Map<string, string>(Object.entries(CHARACTER_SUBSTITUTIONS));

export type BannedTermSource = 'global' | 'custom' | 'name' | 'organization';

export interface BannedTermMatch {
  /** The normalised term. */
  readonly term: string;
  readonly source: BannedTermSource;
  /** True when the whole password is one edit away from the term (not equal to it). */
  readonly fuzzy: boolean;
}

export interface BannedPasswordResult {
  readonly score: number;
  readonly accepted: boolean;
  /**
   * The terms of the lowest-scoring segmentation, in password order; a user's name found in the
   * password is always listed (it rejects the password whatever the score).
   */
  readonly matches: readonly BannedTermMatch[];
}

/** Who is choosing the password: their names are banned terms too. */
export interface BannedPasswordIdentity {
  readonly givenName?: string | null;
  readonly surname?: string | null;
  readonly organizationName?: string | null;
}

export interface BannedPasswordLists {
  readonly globalTerms: Iterable<string>;
  readonly customTerms: Iterable<string>;
}

export interface BannedPasswordChecker {
  check(password: string, identity?: BannedPasswordIdentity): BannedPasswordResult;
  /** Distinct normalised terms kept per list (a term on both lists counts as custom). */
  readonly size: { readonly global: number; readonly custom: number };
}

/** Length in characters (code points, the unit the length rules count), not UTF-16 units. */
export function codePointLength(text: string): number {
  let length = 0;
  for (const _char of text) length++;
  return length;
}

/** Lower-case, then apply {@link CHARACTER_SUBSTITUTIONS}. Used for passwords and terms alike. */
export function normaliseForBannedCheck(text: string): string {
  let out = '';
  for (const char of text.toLowerCase()) out += substitutions.get(char) ?? char;
  return out;
}

/** A list term as the checker stores it, or null when it is outside 4–16 characters. */
export function normaliseBannedTerm(term: string): string | null {
  const normalised = normaliseForBannedCheck(term.trim());
  const length = codePointLength(normalised);
  return length >= BANNED_TERM_MIN_LENGTH && length <= BANNED_TERM_MAX_LENGTH ? normalised : null;
}

interface ListTerm {
  readonly term: string;
  readonly source: 'global' | 'custom';
}

/** Stands for "any character" in the substitution index; terms containing it are dropped. */
const WILDCARD = '\u0000';

const withoutAt = (text: string, i: number): string => text.slice(0, i) + text.slice(i + 1);
const wildcardAt = (text: string, i: number): string =>
  text.slice(0, i) + WILDCARD + text.slice(i + 1);

/**
 * The precomputed indexes: exact terms, and the deletion neighbourhood of every term for edit
 * distance 1 — each term with one character deleted (the password is one character shorter) and
 * with one character replaced by a wildcard (one substitution, position kept so transpositions
 * do not count as one edit).
 */
interface TermIndex {
  readonly exact: ReadonlyMap<string, ListTerm>;
  readonly deletions: ReadonlyMap<string, ListTerm>;
  readonly wildcards: ReadonlyMap<string, ListTerm>;
  /** The distinct term lengths (UTF-16 units), longest first. */
  readonly lengths: readonly number[];
}

function buildIndex(lists: BannedPasswordLists): TermIndex {
  const exact = new Map<string, ListTerm>();
  const deletions = new Map<string, ListTerm>();
  const wildcards = new Map<string, ListTerm>();
  const add = (raw: string, source: ListTerm['source']): void => {
    const term = normaliseBannedTerm(raw);
    if (term === null || term.includes(WILDCARD) || exact.has(term)) return;
    const entry: ListTerm = { term, source };
    exact.set(term, entry);
    for (let i = 0; i < term.length; i++) {
      const deleted = withoutAt(term, i);
      if (!deletions.has(deleted)) deletions.set(deleted, entry);
      const wildcard = wildcardAt(term, i);
      if (!wildcards.has(wildcard)) wildcards.set(wildcard, entry);
    }
  };
  // Custom terms first: a term on both lists is reported as the administrator's.
  for (const term of lists.customTerms) add(term, 'custom');
  for (const term of lists.globalTerms) add(term, 'global');
  const lengths = [...new Set([...exact.keys()].map((t) => t.length))].sort((a, b) => b - a);
  return { exact, deletions, wildcards, lengths };
}

/** The list term within edit distance 1 of the whole normalised password, if any. */
function fuzzyWholeMatch(password: string, index: TermIndex): ListTerm | undefined {
  const longest = index.lengths[0] ?? 0;
  if (password.length > longest + 1) return undefined; // more than one edit from every term
  const exact = index.exact.get(password);
  if (exact !== undefined) return exact;
  const shorter = index.deletions.get(password);
  if (shorter !== undefined) return shorter;
  for (let i = 0; i < password.length; i++) {
    const found =
      index.wildcards.get(wildcardAt(password, i)) ?? index.exact.get(withoutAt(password, i));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** A name or organisation name as banned terms: the whole name without separators, and each word. */
function identityTerms(value: string | null | undefined): string[] {
  if (value === undefined || value === null) return [];
  const words = normaliseForBannedCheck(value)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
  return [...new Set([words.join(''), ...words])].filter(
    (t) => codePointLength(t) >= BANNED_TERM_MIN_LENGTH,
  );
}

interface Span {
  readonly start: number;
  readonly end: number;
  readonly match: BannedTermMatch;
}

/** Every occurrence of the identity's terms in the normalised password. */
function identitySpans(password: string, identity: BannedPasswordIdentity): Span[] {
  const sources: Array<[string | null | undefined, BannedTermSource]> = [
    [identity.givenName, 'name'],
    [identity.surname, 'name'],
    [identity.organizationName, 'organization'],
  ];
  const spans: Span[] = [];
  for (const [value, source] of sources) {
    for (const term of identityTerms(value)) {
      for (let at = password.indexOf(term); at >= 0; at = password.indexOf(term, at + 1)) {
        spans.push({ start: at, end: at + term.length, match: { term, source, fuzzy: false } });
      }
    }
  }
  return spans;
}

/** List terms found as exact substrings, by start position. */
function listSpansFrom(password: string, start: number, index: TermIndex): Span[] {
  const spans: Span[] = [];
  for (const length of index.lengths) {
    const end = start + length;
    if (end > password.length) continue;
    const found = index.exact.get(password.slice(start, end));
    if (found !== undefined) {
      spans.push({ start, end, match: { term: found.term, source: found.source, fuzzy: false } });
    }
  }
  return spans;
}

/** Length in UTF-16 units of the character starting at `i` (2 for a surrogate pair). */
function charWidth(text: string, i: number): number {
  const code = text.codePointAt(i) ?? 0;
  return code > 0xffff ? 2 : 1;
}

interface Step {
  readonly score: number;
  readonly from: number;
  readonly match: BannedTermMatch | null;
}

/**
 * The lowest score over all segmentations of the password into terms (1 point each) and single
 * remaining characters (1 point each): a shortest path over positions 0…n.
 */
function lowestScore(
  password: string,
  index: TermIndex,
  extraSpans: readonly Span[],
): { score: number; matches: BannedTermMatch[] } {
  const n = password.length;
  const best: Array<Step | undefined> = new Array<Step | undefined>(n + 1).fill(undefined);
  best[0] = { score: 0, from: 0, match: null };
  const spansByStart = new Map<number, Span[]>();
  for (const span of extraSpans) {
    spansByStart.set(span.start, [...(spansByStart.get(span.start) ?? []), span]);
  }
  const relax = (to: number, step: Step, preferNew: boolean): void => {
    const current = best[to];
    if (current === undefined || step.score < current.score) best[to] = step;
    else if (preferNew && step.score === current.score) best[to] = step;
  };
  for (let i = 0; i < n; i++) {
    const here = best[i];
    if (here === undefined) continue; // inside a surrogate pair
    relax(i + charWidth(password, i), { score: here.score + 1, from: i, match: null }, false);
    const spans = [...(spansByStart.get(i) ?? []), ...listSpansFrom(password, i, index)];
    for (const span of spans) {
      relax(span.end, { score: here.score + 1, from: i, match: span.match }, true);
    }
  }
  const matches: BannedTermMatch[] = [];
  let at = n;
  let last = best[n];
  const score = last?.score ?? 0;
  while (at > 0 && last !== undefined) {
    if (last.match !== null) matches.unshift(last.match);
    at = last.from;
    last = best[at];
  }
  return { score, matches };
}

/**
 * Builds the indexes over the global and custom lists once (terms are normalised like passwords
 * and kept when 4–16 characters long) and returns the checker.
 */
export function createBannedPasswordChecker(lists: BannedPasswordLists): BannedPasswordChecker {
  const index = buildIndex(lists);
  let custom = 0;
  for (const entry of index.exact.values()) if (entry.source === 'custom') custom++;
  const size = Object.freeze({ global: index.exact.size - custom, custom });

  const check = (password: string, identity: BannedPasswordIdentity = {}): BannedPasswordResult => {
    const normalised = normaliseForBannedCheck(password);
    const spans = identitySpans(normalised, identity);
    const fuzzy = fuzzyWholeMatch(normalised, index);
    if (fuzzy !== undefined && fuzzy.term !== normalised) {
      spans.push({
        start: 0,
        end: normalised.length,
        match: { term: fuzzy.term, source: fuzzy.source, fuzzy: true },
      });
    }
    const { score, matches } = lowestScore(normalised, index, spans);
    const nameSpan = spans.find((s) => s.match.source === 'name');
    if (nameSpan !== undefined && !matches.some((m) => m.source === 'name')) {
      matches.push(nameSpan.match);
    }
    const accepted = score >= MIN_ACCEPTED_SCORE && nameSpan === undefined;
    return { score, accepted, matches };
  };

  return { check, size };
}
