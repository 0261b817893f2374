/**
 * Global setup of the e2e project: rebuilds the web bundle (dist/web) with
 * `node scripts/build-web.mjs` before any browser test, so a stale bundle is never tested.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export default function setup(): void {
  const script = join(root, 'scripts', 'build-web.mjs');
  if (!existsSync(script)) {
    process.stderr.write('[e2e] scripts/build-web.mjs does not exist yet: no web bundle built\n');
    return;
  }
  const started = performance.now();
  const result = spawnSync(process.execPath, [script], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(
      `npm run build:web failed (exit ${String(result.status)}):\n${result.stdout}${result.stderr}`,
    );
  }
  process.stderr.write(
    `[e2e] web bundle built (${((performance.now() - started) / 1000).toFixed(2)} s)\n`,
  );
}
