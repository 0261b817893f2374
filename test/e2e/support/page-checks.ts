/**
 * Checks every browser test makes of a page: axe-core has no serious or critical violation, and
 * screenshots of the main screens go to docs/screenshots/ (the README shows them).
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { axeCheck, formatViolations } from './browser.js';

export const SCREENSHOTS = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  '..',
  'docs',
  'screenshots',
);

export async function expectAccessible(page: Page): Promise<void> {
  const violations = await axeCheck(page);
  expect(violations, formatViolations(violations)).toEqual([]);
}

/** A full-page screenshot as docs/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
