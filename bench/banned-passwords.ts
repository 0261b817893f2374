/**
 * Banned-password checks per second with the full lists: the shipped global list plus a custom
 * list of 1,000 terms, on one core (synchronous, the main thread, nothing else running), for a
 * realistic mix of passwords and per kind of password. Three ways to check, in the same run:
 * `evaluatePassword` with the cloud policy (what the server runs), the banned check alone
 * (`checker.check`), and the simplest possible check (exact `Set.has` of the normalised password).
 */
import {
  loadCommonPasswords,
  readRankedPasswords,
} from '../src/adapters/banned-list/common-passwords.js';
import {
  createBannedPasswordChecker,
  normaliseBannedTerm,
  normaliseForBannedCheck,
  type BannedPasswordChecker,
} from '../src/domain/policy/banned-passwords.js';
import {
  ALLOWED_SYMBOLS,
  cloudPasswordPolicy,
  evaluatePassword,
  type PasswordContext,
} from '../src/domain/policy/password-rules.js';
import { fixed, int, progress, renderTable } from './report.js';
import { seededRandom } from './stats.js';

export interface BannedBenchOptions {
  /** Measured time per (kind of password × way to check). */
  readonly measureMs: number;
  readonly warmupMs: number;
}

export interface BannedMeasurement {
  readonly kind: string;
  readonly method: string;
  readonly checks: number;
  readonly elapsedMs: number;
  /** Share of the checks that found the password banned. */
  readonly flagged: number;
}

export interface BannedBenchResult {
  readonly globalTerms: number;
  readonly customTerms: number;
  readonly loadMs: number;
  readonly indexMs: number;
  readonly kinds: readonly { readonly kind: string; readonly description: string }[];
  readonly measurements: readonly BannedMeasurement[];
}

const CUSTOM_TERMS = 1_000;
const PER_KIND = 256;

/** Weights of the mix, in percent (most users type common-looking or passphrase passwords). */
const MIX: readonly (readonly [kind: string, percent: number])[] = [
  ['common', 40],
  ['passphrase', 30],
  ['short', 10],
  ['random 64', 15],
  ['random 256', 5],
];

const identity = { givenName: 'Adele', surname: 'Vance', organizationName: 'Contoso' } as const;

export function runBannedBench(options: BannedBenchOptions): BannedBenchResult {
  progress('banned passwords: loading the global list and building the index');
  const loadStart = performance.now();
  const globalList = loadCommonPasswords();
  const loadMs = performance.now() - loadStart;
  const customList = customTerms(CUSTOM_TERMS);
  const indexStart = performance.now();
  const checker = createBannedPasswordChecker({ globalTerms: globalList, customTerms: customList });
  const indexMs = performance.now() - indexStart;

  const naive = new Set<string>();
  for (const term of [...globalList, ...customList]) {
    const normalised = normaliseBannedTerm(term);
    if (normalised !== null) naive.add(normalised);
  }

  const inputs = passwordsByKind();
  const methods = checkMethods(checker, naive);
  // Warm every path up on every kind first, so the first row measured is not the JIT's.
  progress('banned passwords: warm-up');
  for (const [, banned] of methods) {
    for (const { passwords } of inputs) measure(banned, passwords, options.warmupMs);
  }
  const measurements: BannedMeasurement[] = [];
  for (const { kind, passwords } of inputs) {
    progress(`banned passwords: ${kind}`);
    for (const [method, banned] of methods) {
      measure(banned, passwords, options.warmupMs);
      measurements.push({ kind, method, ...measure(banned, passwords, options.measureMs) });
    }
  }
  return {
    globalTerms: checker.size.global,
    customTerms: checker.size.custom,
    loadMs,
    indexMs,
    kinds: inputs.map(({ kind, description }) => ({ kind, description })),
    measurements,
  };
}

/** The ways to check, each answering "is it banned?". */
function checkMethods(
  checker: BannedPasswordChecker,
  naive: ReadonlySet<string>,
): readonly (readonly [string, (password: string) => boolean])[] {
  const context: PasswordContext = {
    ...identity,
    accountName: 'adele.vance',
    displayName: 'Adele Vance',
    bannedPasswords: checker,
  };
  return [
    [
      'evaluatePassword',
      (p) => {
        const rule = evaluatePassword(p, cloudPasswordPolicy, context).rules.find(
          (r) => r.id === 'banned',
        );
        return rule?.ok === false;
      },
    ],
    ['checker.check', (p) => !checker.check(p, identity).accepted],
    ['naive Set.has', (p) => naive.has(normaliseForBannedCheck(p))],
  ];
}

/** Runs the check over the passwords, round after round, for at least `durationMs`. */
function measure(
  banned: (password: string) => boolean,
  passwords: readonly string[],
  durationMs: number,
): { checks: number; elapsedMs: number; flagged: number } {
  let checks = 0;
  let flagged = 0;
  const begin = performance.now();
  let elapsedMs = 0;
  do {
    for (const password of passwords) if (banned(password)) flagged++;
    checks += passwords.length;
    elapsedMs = performance.now() - begin;
  } while (elapsedMs < durationMs);
  return { checks, elapsedMs, flagged: flagged / checks };
}

// ---------------------------------------------------------------------------------------------
// Inputs (deterministic: the same passwords every run)

const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const ALPHABET = Array.from(`${LOWER}${LOWER.toUpperCase()}0123456789${ALLOWED_SYMBOLS}`);

const WORDS = (
  'apple river stone candle garden purple monkey window silver forest ocean yellow dragon ' +
  'coffee pencil rocket harbor violin meadow thunder lantern orange tiger winter summer castle ' +
  'bridge cookie falcon marble pepper shadow sunset copper butter rabbit planet guitar ' +
  'pirate kettle tomato velvet wizard zebra anchor basket cactus donkey engine feather glacier ' +
  'hammer island jacket kitten ladder magnet needle oyster parrot quartz ribbon saddle teapot ' +
  'umbrella valley walnut yogurt blanket compass diamond eagle fountain giraffe horizon igloo ' +
  'jungle koala lemon mango noodle olive panda puzzle salmon tunnel unicorn vessel whistle'
).split(' ');

const SYLLABLES = (
  'con tos fab ri kam nor wind tail spin toys lit ware ad ven tu re works mar go lia zen ' +
  'tra vel orb ix qua ntum nex us pro lo gic sky net hel io ter ra vox ly ra'
).split(' ');

/** 1,000 distinct organisation-style terms (product names, brands), 4–16 characters. */
function customTerms(count: number): string[] {
  const random = seededRandom(1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const terms = new Set<string>(['contoso', 'fabrikam', 'northwind', 'adventureworks']);
  while (terms.size < count) {
    const parts = 2 + Math.floor(random() * 3);
    const term = Array.from({ length: parts }, () => pick(SYLLABLES)).join('');
    if (term.length >= 4 && term.length <= 16) terms.add(term);
  }
  return [...terms];
}

function passwordsByKind(): { kind: string; description: string; passwords: string[] }[] {
  const random = seededRandom(42);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const randomText = (length: number): string =>
    Array.from({ length }, () => pick(ALPHABET)).join('');
  const capitalise = (word: string): string => word.charAt(0).toUpperCase() + word.slice(1);

  const ranked = readRankedPasswords()
    .slice(0, 5_000)
    .filter((p) => /^[a-z0-9]{4,12}$/.test(p));
  const suffixes = ['', '1', '!', '123', '2024', '2024!', '1!', '01', '@1'];
  const common = Array.from({ length: PER_KIND }, () => {
    const base = pick(ranked);
    const word = random() < 0.6 ? capitalise(base) : base;
    return `${word}${pick(suffixes)}`;
  });
  const passphrase = Array.from({ length: PER_KIND }, () => {
    const separator = pick([' ', '-', '', '.']);
    const words = Array.from({ length: 3 + Math.floor(random() * 3) }, () => pick(WORDS));
    const text = words.map((w, i) => (i === 0 || random() < 0.3 ? capitalise(w) : w));
    return `${text.join(separator)}${random() < 0.5 ? String(Math.floor(random() * 100)) : ''}`;
  });
  const kinds = [
    {
      kind: 'short',
      description: '6–7 random characters',
      passwords: Array.from({ length: PER_KIND }, () => randomText(6 + Math.floor(random() * 2))),
    },
    {
      kind: 'common',
      description: 'top-5,000 leaked passwords, capitalised, suffixed ("Dragon2024!")',
      passwords: common,
    },
    {
      kind: 'passphrase',
      description: '3–5 dictionary words with separators ("Harbor-violin-Teapot7")',
      passwords: passphrase,
    },
    {
      kind: 'random 64',
      description: '64 random allowed characters',
      passwords: Array.from({ length: PER_KIND }, () => randomText(64)),
    },
    {
      kind: 'random 256',
      description: '256 random allowed characters (the maximum length)',
      passwords: Array.from({ length: PER_KIND }, () => randomText(256)),
    },
  ];
  const byKind = new Map(kinds.map((k) => [k.kind, k.passwords]));
  const mixed: string[] = [];
  for (const [kind, percent] of MIX) {
    const source = byKind.get(kind) ?? [];
    for (let i = 0; i < percent * 10; i++) mixed.push(source[i % source.length]!);
  }
  // Interleave deterministically so each round sees the kinds in a realistic order.
  for (let i = mixed.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [mixed[i], mixed[j]] = [mixed[j]!, mixed[i]!];
  }
  const mixDescription = MIX.map(([kind, percent]) => `${percent}% ${kind}`).join(', ');
  return [{ kind: 'mix', description: mixDescription, passwords: mixed }, ...kinds];
}

// ---------------------------------------------------------------------------------------------
// The table

export function renderBannedTable(result: BannedBenchResult): string {
  const naiveUs = new Map<string, number>();
  for (const m of result.measurements) {
    if (m.method === 'naive Set.has') naiveUs.set(m.kind, (m.elapsedMs * 1000) / m.checks);
  }
  let previousKind = '';
  const rows = result.measurements.map((m) => {
    const us = (m.elapsedMs * 1000) / m.checks;
    const baseline = naiveUs.get(m.kind) ?? Number.NaN;
    const row = [
      m.kind === previousKind ? '' : m.kind,
      m.method,
      int(m.checks / (m.elapsedMs / 1000)),
      us >= 10 ? fixed(us, 1) : fixed(us, 2),
      `${fixed(m.flagged * 100, 0)}%`,
      `×${fixed(us / baseline, us / baseline >= 10 ? 0 : 1)}`,
    ];
    previousKind = m.kind;
    return row;
  });
  return renderTable(
    [
      { header: 'passwords', align: 'left' },
      { header: 'check', align: 'left' },
      { header: 'ops/s' },
      { header: 'µs/check' },
      { header: 'banned' },
      { header: 'vs naive' },
    ],
    rows,
  );
}
