/**
 * The browser harness itself: Chromium starts, a page served with the product's strict CSP loads,
 * axe-core runs despite `script-src 'self'`, and a CSP violation is caught.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  axeCheck,
  expectCleanPage,
  formatViolations,
  launchBrowser,
  openPage,
} from './support/browser.js';
import { startServer, type E2eServer } from './support/server.js';

let server: E2eServer;
let browser: Browser;
beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
afterAll(async () => {
  await (browser as Browser | undefined)?.close();
  await (server as E2eServer | undefined)?.close();
});

describe('browser harness', () => {
  it('loads a page under the strict CSP and runs axe on it', async () => {
    const { context, page } = await openPage(browser);
    const response = await page.goto(`${server.url}/dev/outbox`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Development outbox',
    );
    const violations = await axeCheck(page);
    expect(violations, formatViolations(violations)).toEqual([]);
    expectCleanPage(page);
    await context.close();
  });

  it('catches a CSP violation (an inline script)', async () => {
    const { context, page, problems } = await openPage(browser);
    await page.goto(`${server.url}/dev/outbox`);
    await page.addScriptTag({ content: 'globalThis.inlineRan = true;' }).catch(() => undefined);
    await expect.poll(() => problems.cspViolations.length).toBeGreaterThan(0);
    expect(await page.evaluate('globalThis.inlineRan === true')).toBe(false);
    expect(() => {
      expectCleanPage(page);
    }).toThrow(/CSP violation: script-src/);
    await context.close();
  });
});
