import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import {
  DOCS_END,
  DOCS_START,
  REGENERATE_COMMAND,
  extractGeneratedSection,
  generatedSection,
  renderConfigDocs,
  updateConfigDocs,
} from './docs.js';
import { loadConfig } from './load.js';
import { configKeys } from './schema.js';

const docsPath = fileURLToPath(new URL('../../docs/config.md', import.meta.url));
const stale = `docs/config.md is out of date with src/config/schema.ts. Regenerate it: ${REGENERATE_COMMAND}`;

describe('renderConfigDocs', () => {
  const table = renderConfigDocs();
  const lines = table.split('\n');

  it('has a header and one row per key, in schema order', () => {
    expect(lines[0]).toBe('| Key | Environment variable | Type | Default | Description |');
    expect(lines).toHaveLength(configKeys.length + 2);
    configKeys.forEach((key, i) => {
      expect(lines[i + 2]?.startsWith(`| \`${key.key}\` | \`${key.env}\` | `), key.key).toBe(true);
    });
  });

  it('shows types, defaults (static and derived) and descriptions', () => {
    const row = (key: string) => lines.find((line) => line.startsWith(`| \`${key}\` |`));
    expect(row('rateLimit.perIpPerMinute')).toContain('| integer | `60` | Requests per minute');
    expect(row('log.level')).toContain('| one of `fatal`, `error`, `warn`, `info`');
    expect(row('log.level')).toContain('| `info` |');
    expect(row('store.url')).toContain('| `sqlite:<dataDir>/sspr.db` |');
    expect(row('mail.smtp.password')).toContain('| string, secret | — |');
    expect(row('directory.scope')).toContain('| list (`;` in env) | `[]` |');
    expect(row('directory.tls.rejectUnauthorized')).toContain('| boolean | `true` |');
    expect(row('dataDir')).toContain('| path | `./data` |');
  });

  it('escapes pipes so a cell cannot break the table', () => {
    for (const line of lines) expect(line.replace(/\\\|/g, '').split('|')).toHaveLength(7);
  });
});

describe('docs/config.md', () => {
  const markdown = readFileSync(docsPath, 'utf8');

  it('contains exactly the generated key table between the markers', () => {
    expect(markdown, `${DOCS_START} … ${DOCS_END} missing. ${stale}`).toContain(DOCS_START);
    expect(extractGeneratedSection(markdown), stale).toBe(generatedSection());
  });

  it('has YAML examples that are valid configurations', () => {
    const examples = [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
    expect(examples.length).toBeGreaterThanOrEqual(3);
    for (const [i, yaml] of examples.entries()) {
      const path = join(tmpdir(), `sspr-docs-example-${String(process.pid)}-${String(i)}.yaml`);
      writeFileSync(path, yaml);
      try {
        expect(() => loadConfig({ file: path, env: {}, cwd: tmpdir() }), yaml).not.toThrow();
      } finally {
        rmSync(path, { force: true });
      }
    }
  });

  it('is already formatted by prettier (the table is inside prettier-ignore)', async () => {
    const options = await resolveConfig(docsPath);
    expect(await format(markdown, { ...options, filepath: docsPath })).toBe(markdown);
  });
});

describe('updateConfigDocs', () => {
  it('replaces only the section between the markers', () => {
    const before = `# Title\n\n${DOCS_START}\nold table\n${DOCS_END}\n\nAfter.\n`;
    const after = updateConfigDocs(before);
    expect(after).toBe(`# Title\n\n${DOCS_START}${generatedSection()}${DOCS_END}\n\nAfter.\n`);
    expect(updateConfigDocs(after)).toBe(after);
  });

  it('refuses a document without the markers', () => {
    expect(() => updateConfigDocs('# Title\n')).toThrow(DOCS_START);
  });
});
