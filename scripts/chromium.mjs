// Chromium for the browser (e2e) tests: Debian's `chromium` package driven by playwright-core.
// `npx playwright install` cannot download anything on these machines, so the system browser is
// used. `node scripts/chromium.mjs` installs it (as root) and prints the executable path.
import { existsSync } from 'node:fs';
import process from 'node:process';
import { createLog, ensurePackages, isMain, isRoot } from './directories.mjs';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Flags every test launch uses (plus a fresh `--user-data-dir`). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Returns the Chromium executable path. Installs Debian's `chromium` when it is missing and the
 * process runs as root (apt-get update once, no recommends, no services started); otherwise
 * throws an error that says how to install it.
 */
export async function ensureChromium({ log = createLog('chromium') } = {}) {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  if (!isRoot) {
    throw new Error(
      `Chromium is not installed (${CHROMIUM_PATH} is missing) and this process is not root. ` +
        'Install it: sudo apt-get install -y --no-install-recommends chromium',
    );
  }
  const timedLog = log.timed ? log : Object.assign((line) => log(line), { timed: timedOf(log) });
  timedLog(`installing Debian's chromium for the browser tests …`);
  await ensurePackages({ packages: ['chromium'], what: 'Chromium', log: timedLog });
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`apt-get installed chromium, but ${CHROMIUM_PATH} is still missing`);
  }
  return CHROMIUM_PATH;
}

function timedOf(log) {
  return async (label, fn) => {
    const t = performance.now();
    const result = await fn();
    log(`${label} (${((performance.now() - t) / 1000).toFixed(2)} s)`);
    return result;
  };
}

if (isMain(import.meta.url)) {
  ensureChromium().then(
    (path) => process.stdout.write(`${path}\n`),
    (error) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
