/**
 * The key reference in docs/config.md, generated from the schema so the two cannot drift.
 * Regenerate with `npx tsx scripts/gen-config-docs.ts`; docs.test.ts fails when it is stale.
 */
import { configKeys, type ConfigKey } from './schema.js';

export const DOCS_START = '<!-- generated:config:start -->';
export const DOCS_END = '<!-- generated:config:end -->';
export const REGENERATE_COMMAND = 'npx tsx scripts/gen-config-docs.ts';

const code = (text: string): string => `\`${text}\``;
const cell = (text: string): string => text.replace(/\|/g, '\\|');

function typeText(key: ConfigKey): string {
  switch (key.kind) {
    case 'enum':
      return `one of ${key.values.map(code).join(', ')}`;
    case 'list':
      return key.listSeparator === ',' ? 'list' : `list (${code(key.listSeparator)} in env)`;
    case 'string':
      if (key.isPath) return 'path';
      return key.secret ? 'string, secret' : 'string';
    case 'integer':
    case 'number':
    case 'boolean':
      return key.kind;
  }
}

function defaultText(key: ConfigKey): string {
  if (key.defaultText !== undefined) return key.defaultText;
  if (key.defaultValue === undefined) return '—';
  return code(
    typeof key.defaultValue === 'string' ? key.defaultValue : JSON.stringify(key.defaultValue),
  );
}

/** The markdown table of every key: key, env var, type, default, description. */
export function renderConfigDocs(): string {
  const rows = configKeys.map((key) =>
    [code(key.key), code(key.env), typeText(key), defaultText(key), key.description].map(cell),
  );
  return [
    ['Key', 'Environment variable', 'Type', 'Default', 'Description'],
    ['---', '---', '---', '---', '---'],
    ...rows,
  ]
    .map((row) => `| ${row.join(' | ')} |`)
    .join('\n');
}

/** The text between the markers, or undefined when they are missing. */
export function extractGeneratedSection(markdown: string): string | undefined {
  const start = markdown.indexOf(DOCS_START);
  const end = markdown.indexOf(DOCS_END);
  if (start < 0 || end < start) return undefined;
  return markdown.slice(start + DOCS_START.length, end);
}

/** What belongs between the markers. */
export function generatedSection(): string {
  return `\n\n${renderConfigDocs()}\n\n`;
}

/** `markdown` with the section between the markers replaced by the current table. */
export function updateConfigDocs(markdown: string): string {
  const current = extractGeneratedSection(markdown);
  if (current === undefined) {
    throw new Error(`docs/config.md must contain ${DOCS_START} and ${DOCS_END}, in that order`);
  }
  const start = markdown.indexOf(DOCS_START) + DOCS_START.length;
  return markdown.slice(0, start) + generatedSection() + markdown.slice(start + current.length);
}
