#!/usr/bin/env node
// The `sspr` command. `npm ci` builds dist/ through the `prepare` script.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/main/cli.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write(
    'sspr: dist/ is missing. Run `npm ci` (or `npm run build`) in the checkout first.\n',
  );
  process.exit(1);
}
await import(entry.href);
