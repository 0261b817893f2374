/**
 * Regenerates the code table of docs/errors.md from src/domain/errors/registry.ts and the
 * guidance in src/domain/errors/docs.ts.
 * Run: npx tsx scripts/gen-error-docs.ts
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { updateErrorDocs } from '../src/domain/errors/docs.js';

const path = fileURLToPath(new URL('../docs/errors.md', import.meta.url));
const before = readFileSync(path, 'utf8');
const after = updateErrorDocs(before);
if (after === before) {
  process.stdout.write('docs/errors.md is up to date\n');
} else {
  writeFileSync(path, after);
  process.stdout.write('docs/errors.md updated\n');
}
