#!/usr/bin/env node
// `npm test`: starts what the tests need (a private PostgreSQL, a Samba AD DC and slapd; later
// Debian's Chromium for the e2e project), runs every vitest project, stops everything, and ends
// with the plain "N passed, N failed" line CI reads. `--only unit|int|e2e` narrows the run.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runDir = join(root, '.test-run');
const args = process.argv.slice(2);
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;
const passThrough =
  onlyIndex >= 0 ? args.filter((_, i) => i !== onlyIndex && i !== onlyIndex + 1) : args;

if (only !== undefined && !['unit', 'int', 'e2e'].includes(only)) {
  process.stderr.write(`[test] no "${only}" suite: use unit, int or e2e.\n`);
  process.exit(2);
}

mkdirSync(runDir, { recursive: true });
const log = (line) => process.stderr.write(`[test] ${line}\n`);

const stops = [];
async function stopAll() {
  for (const stop of stops.reverse()) {
    try {
      await stop();
    } catch (error) {
      log(`cleanup failed: ${String(error)}`);
    }
  }
  stops.length = 0;
}
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    void stopAll().then(() => process.exit(130));
  });
}

const env = { ...process.env };
let directories;
try {
  if (only === undefined || only === 'e2e') {
    // The browser tests drive Debian's Chromium (installed here as root when missing).
    const { ensureChromium } = await import('./chromium.mjs');
    env.SSPR_TEST_CHROMIUM = await ensureChromium({ log });
    log(`Chromium: ${env.SSPR_TEST_CHROMIUM}`);
  }
  if (only === undefined || only === 'int') {
    // Samba AD DC + slapd start while PostgreSQL does (warm ~1–2 s; the first Samba run ~7 s).
    const { installDirectories, startDirectories } = await import('./directories.mjs');
    await installDirectories({ env, log });
    directories = startDirectories({ baseDir: runDir, env, stops, log });
    if (env.SSPR_TEST_PG_URL) {
      log('PostgreSQL: using SSPR_TEST_PG_URL');
    } else {
      log('PostgreSQL: starting a private cluster on a free port …');
      const { startPostgres } = await import('./postgres.mjs');
      const pg = await startPostgres({ baseDir: runDir });
      stops.push(() => pg.stop());
      env.SSPR_TEST_PG_URL = pg.url;
      log('PostgreSQL: ready');
    }
    await directories;
  }
  const report = join(runDir, 'vitest-report.json');
  rmSync(report, { force: true });
  const projects = only === undefined ? [] : ['--project', only];
  const code = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        join(root, 'node_modules/vitest/vitest.mjs'),
        'run',
        ...projects,
        '--reporter=default',
        '--reporter=json',
        `--outputFile.json=${report}`,
        ...passThrough,
      ],
      { cwd: root, env, stdio: 'inherit' },
    );
    child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0)));
  });
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  try {
    const result = JSON.parse(readFileSync(report, 'utf8'));
    passed = result.numPassedTests ?? 0;
    failed = (result.numFailedTests ?? 0) + (result.numFailedTestSuites ?? 0);
    skipped = (result.numPendingTests ?? 0) + (result.numTodoTests ?? 0);
  } catch {
    failed = Math.max(1, failed);
  }
  await stopAll();
  process.stdout.write(
    `\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}\n`,
  );
  process.exit(code !== 0 || failed > 0 ? 1 : 0);
} catch (error) {
  log(`could not run the tests: ${error instanceof Error ? error.message : String(error)}`);
  await directories?.catch(() => undefined);
  await stopAll();
  process.stdout.write('\n0 passed, 1 failed\n');
  process.exit(1);
}
