/**
 * Debian's Chromium driven by playwright-core for the browser tests. `npx playwright install`
 * cannot download a browser on these machines, so the system one is used (scripts/test.mjs sets
 * SSPR_TEST_CHROMIUM from scripts/chromium.mjs). Every page records its console errors, uncaught
 * exceptions and Content-Security-Policy violations; `expectCleanPage` fails a test that has any.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** The flags the reference setup gives Chromium (no background traffic to outside hosts). */
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

export const PHONE_VIEWPORT = { width: 390, height: 844 } as const;

/**
 * Launches headless Chromium. `launch` gives each browser a fresh, empty temporary profile
 * (Playwright's own `--user-data-dir`, removed on close), so no state leaks between runs.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.SSPR_TEST_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

export interface PageProblems {
  readonly consoleErrors: string[];
  readonly pageErrors: string[];
  readonly cspViolations: string[];
}

const problemsOf = new WeakMap<Page, PageProblems>();

/** A new context + page that records console errors, page errors and CSP violations. */
export async function openPage(
  browser: Browser,
  options: { viewport?: { width: number; height: number }; mobile?: boolean } = {},
): Promise<{ context: BrowserContext; page: Page; problems: PageProblems }> {
  const context = await browser.newContext({
    viewport: options.viewport ?? { width: 1280, height: 900 },
    ...(options.mobile === true ? { isMobile: true, hasTouch: true, deviceScaleFactor: 3 } : {}),
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  const problems: PageProblems = { consoleErrors: [], pageErrors: [], cspViolations: [] };
  // The listener is an init script (run through the DevTools protocol, so the page's CSP does
  // not apply to it); it reports each `securitypolicyviolation` event back through a binding.
  await context.exposeBinding('__ssprCspViolation', (_source, text: string) => {
    problems.cspViolations.push(text);
  });
  await context.addInitScript(() => {
    const g = globalThis as unknown as {
      addEventListener(type: string, fn: (event: Record<string, unknown>) => void): void;
      __ssprCspViolation(text: string): void;
    };
    g.addEventListener('securitypolicyviolation', (event) => {
      const text = `${String(event.violatedDirective)} blocked ${String(event.blockedURI)} (${String(event.sourceFile)}:${String(event.lineNumber)})`;
      g.__ssprCspViolation(text);
    });
  });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const location = message.location();
    // Chromium asks for /favicon.ico by itself; a missing one is not the page's own error.
    if (new URL(location.url || 'about:blank').pathname === '/favicon.ico') return;
    problems.consoleErrors.push(`${message.text()} (${location.url}:${location.lineNumber})`);
  });
  page.on('pageerror', (error) => problems.pageErrors.push(error.stack ?? error.message));
  problemsOf.set(page, problems);
  return { context, page, problems };
}

/**
 * Throws when the page logged a console error, threw, or violated its CSP. `allowStatuses`: API
 * answers the test provoked on purpose (Chromium logs every 4xx fetch as "Failed to load
 * resource … status of N"), e.g. the 401 of the session check before signing in.
 */
export function expectCleanPage(page: Page, allowStatuses: readonly number[] = []): void {
  const problems = problemsOf.get(page);
  if (problems === undefined) throw new Error('page was not opened with openPage()');
  const consoleErrors = problems.consoleErrors.filter((line) => {
    const status = /status of (\d{3})/.exec(line)?.[1];
    return status === undefined || !allowStatuses.includes(Number(status));
  });
  const all = [
    ...consoleErrors.map((p) => `console error: ${p}`),
    ...problems.pageErrors.map((p) => `uncaught: ${p}`),
    ...problems.cspViolations.map((p) => `CSP violation: ${p}`),
  ];
  if (all.length > 0) throw new Error(`the page had problems:\n${all.join('\n')}`);
}

export interface AxeViolation {
  readonly id: string;
  readonly impact: string | null;
  readonly help: string;
  readonly helpUrl: string;
  readonly targets: string[];
}

const require = createRequire(import.meta.url);
let axeSource: string | undefined;

/**
 * Runs axe-core on the page and returns its serious and critical violations (WCAG 2.x A/AA and
 * best practices). `page.addScriptTag` would add an inline <script> that the portal's CSP
 * (`script-src 'self'`) blocks, so axe is evaluated through the DevTools protocol instead, which
 * the page's CSP does not govern.
 */
export async function axeCheck(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  const loaded = await page.evaluate('typeof globalThis.axe === "object"');
  if (loaded !== true) await page.evaluate(axeSource);
  const violations = await page.evaluate<AxeViolation[]>(`
    globalThis.axe
      .run(document, {
        runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] },
        resultTypes: ['violations'],
      })
      .then((result) =>
        result.violations.map((v) => ({
          id: v.id,
          impact: v.impact ?? null,
          help: v.help,
          helpUrl: v.helpUrl,
          targets: v.nodes.map((n) => n.target.join(' ')),
        })),
      )
  `);
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Readable list for an assertion message. */
export function formatViolations(violations: readonly AxeViolation[]): string {
  return violations
    .map((v) => `${v.impact ?? '?'} ${v.id}: ${v.help} → ${v.targets.join(', ')}`)
    .join('\n');
}
