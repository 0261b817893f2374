/**
 * The browser harness itself: Chromium starts, a page served with the product's strict CSP loads,
 * axe-core runs despite `script-src 'self'`, and a CSP violation is caught.
 */
import { describe, expect, it } from 'vitest';
import { axeCheck, expectCleanPage, formatViolations } from './support/browser.js';
import { useBrowserSuite } from './support/suite.js';

const suite = useBrowserSuite();

describe('browser harness', () => {
  it('loads a page under the strict CSP and runs axe on it', async () => {
    const { page } = await suite.open();
    const response = await page.goto(`${suite.server.url}/dev/outbox`);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Development outbox',
    );
    const violations = await axeCheck(page);
    expect(violations, formatViolations(violations)).toEqual([]);
    expectCleanPage(page);
  });

  it('catches a CSP violation (an inline script)', async () => {
    const { page, problems } = await suite.open();
    await page.goto(`${suite.server.url}/dev/outbox`);
    await page.addScriptTag({ content: 'globalThis.inlineRan = true;' }).catch(() => undefined);
    await expect.poll(() => problems.cspViolations.length).toBeGreaterThan(0);
    expect(await page.evaluate('globalThis.inlineRan === true')).toBe(false);
    expect(() => {
      expectCleanPage(page);
    }).toThrow(/CSP violation: script-src/);
  });
});
