/**
 * The self-service portal in a real browser (Debian's Chromium): the whole reset flow for the
 * demo users, the live password checklist, accessibility (axe: no serious or critical violations
 * on any step), a phone-sized viewport, and one screenshot per step in docs/screenshots/.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { totpCodeAt } from '../../src/domain/methods/totp.js';
import { PortalPage } from './pages/portal-page.js';
import {
  axeCheck,
  expectCleanPage,
  formatViolations,
  launchBrowser,
  openPage,
  PHONE_VIEWPORT,
} from './support/browser.js';
import { startServer, waitForMailedCode, type E2eServer } from './support/server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const screenshots = join(root, 'docs', 'screenshots');

const WEAK_PASSWORD = 'abc';
const STRONG_PASSWORD = 'Lantern-Reef-5082!';
const ALEX = 'alex.wilber@contoso.com';
const ADELE = 'adele.vance@contoso.com';

let server: E2eServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(screenshots, { recursive: true });
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
});
afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
});
afterAll(async () => {
  await (browser as Browser | undefined)?.close();
  await (server as E2eServer | undefined)?.close();
});

async function newPortal(
  options: Parameters<typeof openPage>[1] = {},
): Promise<{ page: Page; portal: PortalPage }> {
  const { context, page } = await openPage(browser, options);
  contexts.push(context);
  return { page, portal: new PortalPage(page) };
}

async function expectAccessible(page: Page): Promise<void> {
  const violations = await axeCheck(page);
  expect(violations, formatViolations(violations)).toEqual([]);
}

async function shoot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `portal-${name}.png`), fullPage: true });
}

async function signIn(userId: string, password: string): Promise<number> {
  const response = await fetch(`${server.url}/api/v1/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId, password }),
  });
  return response.status;
}

describe('portal: self-service reset', () => {
  it('resets Alex with the authenticator app: checklist, result, and the new password signs in', async () => {
    const { page, portal } = await newPortal();
    await portal.open(server.url);
    await expectAccessible(page);
    await shoot(page, 'start');

    await portal.submitUserId(ALEX);
    await portal.waitForMethodStep();
    await expect(portal.methodChoices()).resolves.toEqual([
      expect.stringMatching(/authenticator app/i),
    ]);
    await portal.chooseMethod('totp');
    await expectAccessible(page);
    await shoot(page, 'method');

    const secret = server.secrets.get(ALEX);
    expect(secret).toBeDefined();
    await portal.enterCode(totpCodeAt(secret ?? '', new Date()));
    await portal.waitForPasswordStep();

    // A weak password: the live checklist shows failing rules.
    await portal.typeNewPassword(WEAK_PASSWORD);
    const weak = await portal.waitForChecklist((rules) =>
      rules.some((rule) => rule.state === 'not met'),
    );
    expect(weak.length).toBeGreaterThan(0);
    await expectAccessible(page);
    await shoot(page, 'password-weak');

    // A strong one: every rule the portal can judge is met.
    await portal.typeNewPassword(STRONG_PASSWORD);
    const strong = await portal.waitForChecklist(
      (rules) =>
        rules.length > 0 &&
        rules.every((rule) => rule.state === 'met' || rule.state === 'directory'),
    );
    expect(strong.filter((rule) => rule.state === 'met').length).toBeGreaterThan(0);
    await shoot(page, 'password-strong');

    await portal.submitNewPassword();
    await portal.waitForDone();
    await expect(portal.doneStep.textContent()).resolves.toContain(
      'You can now sign in with your new password.',
    );
    await expectAccessible(page);
    await shoot(page, 'done');
    expectCleanPage(page);

    expect(await signIn(ALEX, STRONG_PASSWORD)).toBe(200);
    expect(await signIn(ALEX, 'Copper-Moss-7310!')).toBe(401);
  });

  it('resets Adele with an emailed code read from the dev outbox', async () => {
    const { page, portal } = await newPortal();
    await portal.open(server.url);
    await portal.submitUserId(ADELE);
    await portal.waitForMethodStep();
    await portal.chooseMethod('email');
    const before = Date.now() - 1000;
    await portal.sendCode();
    await expectAccessible(page);
    await shoot(page, 'code-sent');
    const code = await waitForMailedCode(server.outbox, 'adele@example.org', { after: before });
    await portal.enterCode(code);
    await portal.waitForPasswordStep();
    await portal.typeNewPassword(STRONG_PASSWORD);
    await portal.waitForChecklist(
      (rules) =>
        rules.length > 0 &&
        rules.every((rule) => rule.state === 'met' || rule.state === 'directory'),
    );
    await portal.submitNewPassword();
    await portal.waitForDone();
    expectCleanPage(page);
    expect(await signIn(ADELE, STRONG_PASSWORD)).toBe(200);
  });

  it('tells Megan (no method registered) what to do, with a support code and the helpdesk link', async () => {
    const patch = await fetch(`${server.url}/api/v1/admin/policy`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ customization: { helpdeskLink: 'helpdesk@contoso.com' } }),
    });
    expect(patch.status).toBe(200);
    const { page, portal } = await newPortal();
    await portal.open(server.url);
    await portal.submitUserId('megan.bowen@contoso.com');
    // Megan has no method: the portal says so (with a support code) instead of a method step.
    await expect.poll(() => portal.supportCode(), { timeout: 60_000 }).toMatch(/^[0-9a-f-]{36}$/);
    expect(await portal.statusText()).toMatch(/register your methods/i);
    expect(await portal.methodStep.isVisible()).toBe(false);
    const helpdesk = page.getByRole('link', { name: /helpdesk@contoso\.com/ });
    expect(await helpdesk.getAttribute('href')).toBe('mailto:helpdesk@contoso.com');
    // (No expectCleanPage here: Chromium logs the API's 4xx answer as a console error.)
    await expectAccessible(page);
    await shoot(page, 'error');
  });

  it('works on a phone-sized screen (390×844): the first step fits and passes axe', async () => {
    const { page, portal } = await newPortal({ viewport: PHONE_VIEWPORT, mobile: true });
    await portal.open(server.url);
    const width = await page.evaluate('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(PHONE_VIEWPORT.width);
    await expect(portal.startStep.getByRole('button', { name: 'Next' }).isVisible()).resolves.toBe(
      true,
    );
    await expectAccessible(page);
    await shoot(page, 'start-phone');
    await portal.submitUserId(ALEX);
    await portal.waitForMethodStep();
    await shoot(page, 'method-phone');
    expectCleanPage(page);
  });
});
