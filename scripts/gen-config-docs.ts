/**
 * Regenerates the key table of docs/config.md from src/config/schema.ts.
 * Run: npx tsx scripts/gen-config-docs.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { updateConfigDocs } from '../src/config/docs.js';

const path = fileURLToPath(new URL('../docs/config.md', import.meta.url));
const before = readFileSync(path, 'utf8');
const after = updateConfigDocs(before);
if (after === before) {
  process.stdout.write('docs/config.md is up to date\n');
} else {
  writeFileSync(path, after);
  process.stdout.write('docs/config.md updated\n');
}
