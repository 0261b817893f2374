/**
 * The self-service portal in a real browser (Debian's Chromium): the whole reset flow for the
 * demo users, the live password checklist, accessibility (axe: no serious or critical violations
 * on any step), a phone-sized viewport, and one screenshot per step in docs/screenshots/.
 */
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { totpCodeAt } from '../../src/domain/methods/totp.js';
import { PortalPage } from './pages/portal-page.js';
import { expectCleanPage, openPage, PHONE_VIEWPORT } from './support/browser.js';
import { expectAccessible, screenshot } from './support/page-checks.js';
import { apiCall, apiSignIn, patchPolicy, waitForMailedCode } from './support/server.js';
import { useBrowserSuite } from './support/suite.js';

const WEAK_PASSWORD = 'abc';
const STRONG_PASSWORD = 'Lantern-Reef-5082!';
const ALEX = 'alex.wilber@contoso.com';
const ADELE = 'adele.vance@contoso.com';

const suite = useBrowserSuite();

async function newPortal(
  options: Parameters<typeof openPage>[1] = {},
): Promise<{ page: Page; portal: PortalPage }> {
  const { page } = await suite.open(options);
  return { page, portal: new PortalPage(page) };
}

/** The portal's screenshots: docs/screenshots/portal-<name>.png. */
async function shoot(page: Page, name: string): Promise<void> {
  await screenshot(page, `portal-${name}`);
}

/** Whether the password signs in now (the API's status). */
async function signIn(userId: string, password: string): Promise<number> {
  return (await apiSignIn(suite.server.url, userId, password)).status;
}

describe('portal: self-service reset', () => {
  it('resets Alex with the authenticator app: checklist, result, and the new password signs in', async () => {
    const { page, portal } = await newPortal();
    await portal.open(suite.server.url);
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

    const secret = suite.server.secrets.get(ALEX);
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
    await portal.open(suite.server.url);
    await portal.submitUserId(ADELE);
    await portal.waitForMethodStep();
    await portal.chooseMethod('email');
    const before = Date.now() - 1000;
    await portal.sendCode();
    await expectAccessible(page);
    await shoot(page, 'code-sent');
    const code = await waitForMailedCode(suite.server.outbox, 'adele@example.org', {
      after: before,
    });
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
    const patch = await fetch(`${suite.server.url}/api/v1/admin/policy`, {
      method: 'PATCH',
      headers: {
        authorization: `Bearer ${suite.server.adminToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ customization: { helpdeskLink: 'helpdesk@contoso.com' } }),
    });
    expect(patch.status).toBe(200);
    const { page, portal } = await newPortal();
    await portal.open(suite.server.url);
    await portal.submitUserId('megan.bowen@contoso.com');
    // Megan has no method: the portal says so (with a support code) instead of a method step.
    await expect.poll(() => portal.supportCode(), { timeout: 60_000 }).toMatch(/^[0-9a-f-]{36}$/);
    await expect.poll(() => portal.statusText()).toMatch(/register your methods/i);
    expect(await portal.methodStep.isVisible()).toBe(false);
    const helpdesk = page.getByRole('link', { name: /helpdesk@contoso\.com/ });
    expect(await helpdesk.getAttribute('href')).toBe('mailto:helpdesk@contoso.com');
    // (No expectCleanPage here: Chromium logs the API's 4xx answer as a console error.)
    await expectAccessible(page);
    await shoot(page, 'error');
  });

  it('works on a phone-sized screen (390×844): the first step fits and passes axe', async () => {
    const { page, portal } = await newPortal({ viewport: PHONE_VIEWPORT, mobile: true });
    await portal.open(suite.server.url);
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

// ---- more gates, and branding -------------------------------------------------------------------

const MEGAN = 'megan.bowen@contoso.com';
const MEGAN_PASSWORDS = ['Quartz-Fern-2957!', 'Juniper-Vale-3186!', 'Saffron-Dune-7402!'] as const;
/** The answers Megan registers, by question text (filled in when she registers). */
const meganAnswers = new Map<string, string>();

/** Signs Megan in through the API (no second step: she has no code method yet). */
async function meganSession(password: string): Promise<string> {
  const session = await apiSignIn(suite.server.url, MEGAN, password);
  expect(session.status, JSON.stringify(session.body)).toBe(200);
  return session.cookie;
}

describe('portal: security questions and two gates', () => {
  it('resets Megan with her security questions (one gate)', async () => {
    const cookie = await meganSession(MEGAN_PASSWORDS[0]);
    const offered = await apiCall(
      suite.server.url,
      'GET',
      '/me/methods/securityQuestions/questions',
      {
        cookie,
      },
    );
    const { toRegister, questions } = offered.body as {
      toRegister: number;
      questions: { id: string; text: string }[];
    };
    const answers = questions.slice(0, toRegister).map((q, i) => {
      const answer = `Lighthouse ${['alpha', 'bravo', 'charlie', 'delta', 'echo'][i] ?? String(i)}`;
      meganAnswers.set(q.text, answer);
      return { questionId: q.id, answer };
    });
    const registered = await apiCall(
      suite.server.url,
      'POST',
      '/me/methods/securityQuestions',
      { cookie },
      { answers },
    );
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);

    const { page, portal } = await newPortal();
    await portal.open(suite.server.url);
    await portal.submitUserId(MEGAN);
    await portal.waitForMethodStep();
    await expect(portal.methodChoices()).resolves.toEqual([
      expect.stringMatching(/security questions/i),
    ]);
    await portal.chooseMethod('securityQuestions');
    // "Use a different method" is only offered when there is another one.
    await portal.methodStep.getByRole('textbox').first().waitFor();
    expect(
      await portal.methodStep.getByRole('button', { name: 'Use a different method' }).isVisible(),
    ).toBe(false);
    await expectAccessible(page);
    await shoot(page, 'questions');
    const shown = await portal.answerQuestions(meganAnswers);
    expect(shown.every((text) => meganAnswers.has(text))).toBe(true);
    await portal.waitForPasswordStep();
    await portal.typeNewPassword(MEGAN_PASSWORDS[1]);
    await portal.waitForChecklist(
      (rules) =>
        rules.length > 0 && rules.every((r) => r.state === 'met' || r.state === 'directory'),
    );
    await portal.submitNewPassword();
    await portal.waitForDone();
    expectCleanPage(page);
    expect(await signIn(MEGAN, MEGAN_PASSWORDS[1])).toBe(200);
  });

  it('asks for two gates when the policy requires two: email (resend, a different method) then questions', async () => {
    // Megan adds an email address, so she has two methods.
    const cookie = await meganSession(MEGAN_PASSWORDS[1]);
    let before = Date.now() - 1000;
    const start = await apiCall(
      suite.server.url,
      'POST',
      '/me/methods/email',
      { cookie },
      { email: 'megan@example.org' },
    );
    expect(start.status, JSON.stringify(start.body)).toBe(201);
    const code = await waitForMailedCode(suite.server.outbox, 'megan@example.org', {
      after: before,
    });
    const verified = await apiCall(
      suite.server.url,
      'POST',
      '/me/methods/email/verify',
      { cookie },
      { code },
    );
    expect(verified.status, JSON.stringify(verified.body)).toBe(200);

    await patchPolicy(suite.server, { methodsRequired: 2 });
    try {
      const { page, portal } = await newPortal();
      await portal.open(suite.server.url);
      await portal.submitUserId(MEGAN);
      await portal.waitForMethodStep();
      expect(await portal.gateProgress()).toBe('Step 1 of 2');
      expect(await portal.methodChoices()).toHaveLength(2);

      // Email first; the code can be sent again.
      await portal.chooseMethod('email');
      await portal.sendCode();
      await expect.poll(() => portal.statusText()).toContain('We sent a code. Check your email.');
      before = Date.now() - 1000;
      await portal.resendCode();
      await expect.poll(() => portal.statusText()).toContain('We sent a code.');

      // "Use a different method" goes back to the list with nothing chosen…
      await portal.useDifferentMethod();
      expect(await portal.methodStep.getByLabel('Code', { exact: true }).count()).toBe(0);
      for (const radio of await portal.methodStep.getByRole('radio').all())
        expect(await radio.isChecked()).toBe(false);
      // …and back to email: the resent code (the newest) passes the first gate.
      await portal.chooseMethod('email');
      await portal.sendCode();
      await expectAccessible(page);
      await shoot(page, 'two-gates-email');
      const mailed = await waitForMailedCode(suite.server.outbox, 'megan@example.org', {
        after: before,
      });
      await portal.enterCode(mailed);

      // Second gate: only the security questions remain.
      await expect.poll(() => portal.gateProgress()).toBe('Step 2 of 2');
      await expect.poll(() => portal.statusText()).toContain('Verified. Choose another method.');
      await expect(portal.methodChoices()).resolves.toEqual([
        expect.stringMatching(/security questions/i),
      ]);
      await portal.chooseMethod('securityQuestions');
      await portal.methodStep.getByRole('textbox').first().waitFor();
      await expectAccessible(page);
      await shoot(page, 'two-gates-questions');
      await portal.answerQuestions(meganAnswers);
      await portal.waitForPasswordStep();
      await portal.typeNewPassword(MEGAN_PASSWORDS[2]);
      await portal.waitForChecklist(
        (rules) =>
          rules.length > 0 && rules.every((r) => r.state === 'met' || r.state === 'directory'),
      );
      await portal.submitNewPassword();
      await portal.waitForDone();
      expect(await signIn(MEGAN, MEGAN_PASSWORDS[2])).toBe(200);
    } finally {
      await patchPolicy(suite.server, { methodsRequired: 1 });
    }
  });
});

/** A computed CSS property of the element (as the browser resolved it, e.g. `rgb(…)`). */
function styleOf(locator: Locator, property: 'backgroundColor' | 'color'): Promise<string> {
  return locator.evaluate((element, name) => {
    const view = globalThis as unknown as {
      getComputedStyle(e: unknown): Record<string, string>;
    };
    return view.getComputedStyle(element)[name] ?? '';
  }, property);
}

/** A small SVG logo (a purple tile with a white "F"), as the admin center would upload it. */
const LOGO = `data:image/svg+xml;base64,${Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40" viewBox="0 0 40 40">' +
    '<rect width="40" height="40" rx="6" fill="#5c2d91"/>' +
    '<path d="M13 9h15v5H19v5h8v5h-8v8h-6z" fill="#fff"/></svg>',
).toString('base64')}`;

describe('portal: branding', () => {
  it("shows the organisation's name, logo and accent colour on the portal and the account page", async () => {
    await patchPolicy(suite.server, {
      customization: { organizationName: 'Fabrikam', accentColor: '#5c2d91', logo: LOGO },
    });
    try {
      const { page, portal } = await newPortal();
      await portal.open(suite.server.url);
      const logo = page.getByRole('banner').getByRole('img', { name: 'Fabrikam' });
      await logo.waitFor({ state: 'visible' });
      await expect
        .poll(() =>
          logo.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
        )
        .toBeGreaterThan(0);
      expect(await logo.getAttribute('src')).toMatch(/^\/api\/v1\/sspr\/branding\/logo\?v=/);
      expect(await page.title()).toBe('Reset your password – Fabrikam');
      const next = portal.startStep.getByRole('button', { name: 'Next' });
      expect(await styleOf(next, 'backgroundColor')).toBe('rgb(92, 45, 145)');
      expect(await styleOf(next, 'color')).toBe('rgb(255, 255, 255)');
      await expectAccessible(page);
      await shoot(page, 'branded');
      expectCleanPage(page);

      // The account page carries the same branding.
      await page.goto(`${suite.server.url}/account`);
      await page.getByRole('banner').getByRole('img', { name: 'Fabrikam' }).waitFor();
      await expect.poll(() => page.title()).toBe('My security info – Fabrikam');

      // A light accent gets dark text on its buttons (contrast), and axe stays clean.
      await patchPolicy(suite.server, { customization: { accentColor: '#ffd23f', logo: null } });
      await portal.open(suite.server.url);
      await expect.poll(() => styleOf(next, 'backgroundColor')).toBe('rgb(255, 210, 63)');
      expect(await styleOf(next, 'color')).toBe('rgb(17, 17, 17)');
      expect(await page.getByRole('banner').getByRole('img').count()).toBe(0);
      expect(await page.getByRole('banner').textContent()).toContain('Fabrikam');
      await expectAccessible(page);
    } finally {
      await patchPolicy(suite.server, {
        customization: { organizationName: null, accentColor: null, logo: null },
      });
    }
  });
});
