import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import {
  DOCS_END,
  DOCS_START,
  REGENERATE_COMMAND,
  entraEquivalents,
  errorGuidance,
  errorNames,
  extractGeneratedSection,
  generatedSection,
  renderErrorDocs,
  updateErrorDocs,
} from './docs.js';
import { errorRegistry, type ErrorName } from './registry.js';

const docsPath = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));
const srcDir = fileURLToPath(new URL('../..', import.meta.url));
const stale = `docs/errors.md is out of date with src/domain/errors/registry.ts. Regenerate it: ${REGENERATE_COMMAND}`;

const names = errorNames();
const codes = names.map((name) => errorRegistry[name].code);

/** Entra's codes (house-style.md §Errors); everything else is in a project band. */
const ENTRA_CODES = [
  'SSPR_0009',
  'SSPR_0010',
  'SSPR_0011',
  'SSPR_0012',
  'SSPR_0013',
  'SSPR_0014',
  'SSPR_0029',
  'SSPR_0030',
  'SSPR_009',
];

/** Documented bands of the project range (registry.ts, docs/errors.md); 7xxx is not assigned. */
const BANDS = [1, 2, 3, 4, 5, 6, 8, 9];

/** Every throttle or block must answer 429 (with Retry-After, set where it is thrown). */
const THROTTLES: readonly ErrorName[] = [
  'IP_RATE_LIMITED',
  'GATE_THROTTLED',
  'USER_BLOCKED',
  'EMAIL_SEND_THROTTLED',
  'PHONE_SEND_THROTTLED',
  'SIGN_IN_THROTTLED',
];

/** The non-test .ts files under src/, relative to it. */
function sourceFiles(): string[] {
  return readdirSync(srcDir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
    .sort();
}

describe('the error registry', () => {
  it('gives every error a unique code', () => {
    const seen = new Map<string, string>();
    for (const name of names) {
      const { code } = errorRegistry[name];
      expect(seen.get(code), `${code} is used by ${String(seen.get(code))} and ${name}`).toBe(
        undefined,
      );
      seen.set(code, name);
    }
  });

  it('uses SSPR_ and 3 or 4 digits, Entra codes or a documented project band', () => {
    for (const name of names) {
      const { code } = errorRegistry[name];
      const match = /^SSPR_(\d{3,4})$/.exec(code);
      expect(match, `${name}: ${code}`).not.toBeNull();
      if (ENTRA_CODES.includes(code)) continue;
      expect(code, `${name}: only Entra's codes are shorter than 4 digits`).toMatch(/^SSPR_\d{4}$/);
      expect(BANDS, `${name}: ${code} is outside the documented bands`).toContain(
        Number(code.charAt(5)),
      );
    }
  });

  it('keeps every Entra code', () => {
    for (const code of ENTRA_CODES) expect(codes, code).toContain(code);
  });

  it('answers with a 4xx or 5xx status', () => {
    for (const name of names) {
      const { status } = errorRegistry[name];
      expect(
        Number.isInteger(status) && status >= 400 && status <= 599,
        `${name}: ${String(status)}`,
      ).toBe(true);
    }
  });

  it('answers 429 for every throttle and block', () => {
    for (const name of THROTTLES) expect(errorRegistry[name].status, name).toBe(429);
  });

  it('registers every SSPR_ code the source mentions', () => {
    const registered = new Set(codes);
    const unknown: string[] = [];
    const files = sourceFiles();
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const text = readFileSync(join(srcDir, file), 'utf8');
      for (const [code] of text.matchAll(/\bSSPR_\d+\b/g)) {
        if (!registered.has(code)) unknown.push(`src/${file}: ${code}`);
      }
    }
    expect(unknown, 'codes mentioned in src/ but missing from registry.ts').toEqual([]);
  });
});

describe('guidance', () => {
  it('has non-empty guidance for exactly the registry entries', () => {
    expect(Object.keys(errorGuidance).sort()).toEqual([...names].sort());
    for (const name of names) expect(errorGuidance[name].trim(), name).not.toBe('');
  });

  it('names the Entra equivalent of exactly the Entra codes', () => {
    const withEntra = names.filter((name) => entraEquivalents[name] !== undefined);
    expect(withEntra.map((name) => errorRegistry[name].code).sort()).toEqual(
      [...ENTRA_CODES].sort(),
    );
  });
});

describe('renderErrorDocs', () => {
  const lines = renderErrorDocs().split('\n');

  it('has a header and one row per error, in registry order', () => {
    expect(lines[0]).toBe('| Code | HTTP | Name | Message | What to do |');
    expect(lines).toHaveLength(names.length + 2);
    names.forEach((name, i) => {
      const spec = errorRegistry[name];
      const message = spec.message.replace(/\|/g, '\\|');
      const line = lines[i + 2] ?? '';
      expect(
        line.startsWith(
          `| \`${spec.code}\` | ${String(spec.status)} | \`${name}\` | ${message} | `,
        ),
        name,
      ).toBe(true);
      expect(line, name).toContain(errorGuidance[name].replace(/\|/g, '\\|'));
    });
  });

  it('mentions Retry-After for 429 answers and the Entra equivalent for Entra codes', () => {
    const row = (name: ErrorName) => lines.find((line) => line.includes(`| \`${name}\` |`)) ?? '';
    for (const name of names) {
      expect(row(name).includes('Retry-After'), name).toBe(errorRegistry[name].status === 429);
    }
    expect(row('TENANT_SSPR_DISABLED')).toContain('Entra equivalent: `TenantSSPRFlagDisabled` (9)');
    expect(row('NOT_ENOUGH_METHODS')).toContain('`UserNotProperlyConfigured` (14)');
    expect(row('INTERNAL')).not.toContain('Entra equivalent');
  });

  it('escapes pipes so a cell cannot break the table', () => {
    for (const line of lines) expect(line.replace(/\\\|/g, '').split('|')).toHaveLength(7);
  });
});

describe('docs/errors.md', () => {
  const markdown = readFileSync(docsPath, 'utf8');

  it('contains exactly the generated table between the markers', () => {
    expect(markdown, `${DOCS_START} … ${DOCS_END} missing. ${stale}`).toContain(DOCS_START);
    expect(extractGeneratedSection(markdown), stale).toBe(generatedSection());
  });

  it('keeps the generated table inside prettier-ignore', () => {
    const ignoreStart = markdown.indexOf('<!-- prettier-ignore-start -->');
    const ignoreEnd = markdown.indexOf('<!-- prettier-ignore-end -->');
    expect(ignoreStart).toBeGreaterThanOrEqual(0);
    expect(ignoreStart).toBeLessThan(markdown.indexOf(DOCS_START));
    expect(ignoreEnd).toBeGreaterThan(markdown.indexOf(DOCS_END));
  });

  it('describes the error body, the support code, the bands and Retry-After', () => {
    expect(markdown).toContain('"correlationId"');
    expect(markdown).toContain('support code');
    expect(markdown).toContain('Retry-After');
    for (const band of BANDS) expect(markdown).toContain(`| ${String(band)}xxx |`);
  });

  it('is already formatted by prettier', async () => {
    const options = await resolveConfig(docsPath);
    expect(await format(markdown, { ...options, filepath: docsPath })).toBe(markdown);
  });
});

describe('updateErrorDocs', () => {
  it('replaces only the section between the markers', () => {
    const before = `# Title\n\n${DOCS_START}\nold table\n${DOCS_END}\n\nAfter.\n`;
    const after = updateErrorDocs(before);
    expect(after).toBe(`# Title\n\n${DOCS_START}${generatedSection()}${DOCS_END}\n\nAfter.\n`);
    expect(updateErrorDocs(after)).toBe(after);
  });

  it('refuses a document without the markers', () => {
    expect(() => updateErrorDocs('# Title\n')).toThrow(DOCS_START);
  });
});
