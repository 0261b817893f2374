/**
 * The key reference in docs/config.md, generated from the schema so the two cannot drift.
 * Regenerate with `npx tsx scripts/gen-config-docs.ts`; docs.test.ts fails when it is stale.
 */
import {
  code,
  generatedSection as generatedSectionOf,
  markdownTable,
} from '../domain/docs/generated-markdown.js';
import { configKeys, type ConfigKey } from './schema.js';

export const DOCS_START = '<!-- generated:config:start -->';
export const DOCS_END = '<!-- generated:config:end -->';
export const REGENERATE_COMMAND = 'npx tsx scripts/gen-config-docs.ts';

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
  const rows = configKeys.map((key) => [
    code(key.key),
    code(key.env),
    typeText(key),
    defaultText(key),
    key.description,
  ]);
  return markdownTable(['Key', 'Environment variable', 'Type', 'Default', 'Description'], rows);
}

const section = generatedSectionOf('docs/config.md', DOCS_START, DOCS_END);

/** The text between the markers, or undefined when they are missing. */
export function extractGeneratedSection(markdown: string): string | undefined {
  return section.extract(markdown);
}

/** What belongs between the markers. */
export function generatedSection(): string {
  return `\n\n${renderConfigDocs()}\n\n`;
}

/** `markdown` with the section between the markers replaced by the current table. */
export function updateConfigDocs(markdown: string): string {
  return section.replace(markdown, generatedSection());
}
