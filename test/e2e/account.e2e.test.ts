/**
 * The account page (/account) in a real browser: the registration interrupt for a user with no
 * methods (authenticator app with the QR code and key shown on the page, email with the code from
 * the dev outbox), security info changes (security questions added and removed, password changed
 * and used, sign out everywhere), the phone-sized viewport, axe on every state, screenshots.
 */
import type { Page } from 'playwright-core';
import * as OTPAuth from 'otpauth';
import { describe, expect, it } from 'vitest';
import { totpCodeAt } from '../../src/domain/methods/totp.js';
import { AccountPage } from './pages/account-page.js';
import { PortalPage } from './pages/portal-page.js';
import { expectCleanPage, openPage, PHONE_VIEWPORT } from './support/browser.js';
import { expectAccessible, screenshot } from './support/page-checks.js';
import {
  apiCall,
  apiSignIn,
  patchPolicy,
  waitForMailedCode,
  waitForTextedCode,
} from './support/server.js';
import { useBrowserSuite } from './support/suite.js';

const MEGAN = { upn: 'megan.bowen@contoso.com', password: 'Quartz-Fern-2957!' };
const ADELE = { upn: 'adele.vance@contoso.com', password: 'Harbor-Kite-4821!' };
const ALEX = { upn: 'alex.wilber@contoso.com', password: 'Copper-Moss-7310!' };
const LYNNE = {
  upn: 'lynne.robbins@contoso.com',
  password: 'Meadow-Flint-3846!',
  phone: '+1 4255550123',
};
const NEW_PASSWORD = 'Meadow-Lark-6409!';

const suite = useBrowserSuite();

async function newAccount(
  options: Parameters<typeof openPage>[1] = {},
): Promise<{ page: Page; account: AccountPage }> {
  const { page } = await suite.open(options);
  return { page, account: new AccountPage(page) };
}

/** The current code of a base32 secret, computed as an authenticator app would (otpauth). */
function authenticatorCode(secret: string): string {
  return new OTPAuth.TOTP({
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: 'SHA1',
    digits: 6,
    period: 30,
  }).generate();
}

describe('account page: registration interrupt', () => {
  it('walks Megan (no methods) through registering an authenticator app and an email; she cannot skip it', async () => {
    await patchPolicy(suite.server, {
      methodsRequired: 2,
      registration: { requireOnSignIn: true },
    });
    try {
      const { page, account } = await newAccount();
      await account.open(suite.server.url);
      await account.signInStep.getByLabel('User ID').waitFor();
      await expectAccessible(page);
      await screenshot(page, 'account-sign-in');
      // The page links to the reset portal.
      expect(
        await account.signInStep
          .getByRole('link', { name: 'Forgot your password?' })
          .getAttribute('href'),
      ).toBe('/');

      await account.signIn(MEGAN.upn, MEGAN.password);
      await account.registerStep.waitFor({ state: 'visible' });
      expect(await account.registerProgress()).toBe('0 of 2 required methods registered');
      // Nothing to skip with: no security-info page, no sign-out, no link onward.
      expect(await account.infoStep.isVisible()).toBe(false);
      expect(await account.registerStep.getByRole('link').count()).toBe(0);
      await expectAccessible(page);
      await screenshot(page, 'account-register');

      // 1. Authenticator app: the QR code is drawn on the page; the key is shown for manual entry.
      await account.startAdding('Authenticator app');
      const { qr, secret } = await account.totpSetup();
      expect(await qr.getAttribute('src')).toMatch(/^data:image\/png;base64,/);
      expect(
        await qr.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      ).toBeGreaterThan(100);
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      await expectAccessible(page);
      await screenshot(page, 'account-add-authenticator');
      await account.confirmTotp(authenticatorCode(secret));
      await account.waitForStatus(/Added: Authenticator app/);
      expect(await account.registerProgress()).toBe('1 of 2 required methods registered');

      // Reloading does not get her out of the interrupt either.
      await page.reload();
      await account.registerStep.waitFor({ state: 'visible' });
      expect(await account.registerProgress()).toBe('1 of 2 required methods registered');

      // 2. Email, with the code from the dev outbox.
      await account.startAdding('Email');
      const before = Date.now() - 1000;
      await account.sendEmailCode('megan@example.org');
      await expect
        .poll(() => account.statusText())
        .toContain('We sent a code to megan@example.org.');
      await expectAccessible(page);
      const code = await waitForMailedCode(suite.server.outbox, 'megan@example.org', {
        after: before,
      });
      await account.confirmEmail(code);

      // The policy is met: on to the security info page.
      await account.infoStep.waitFor({ state: 'visible' });
      await expect.poll(() => account.statusText()).toContain('Your security info is set up.');
      const methods = await account.methods();
      expect(methods.map((m) => m.name).sort()).toEqual(['Authenticator app', 'Email']);
      expect(methods.find((m) => m.name === 'Email')?.display).toMatch(/^m.*@example\.org$/);
      await expectAccessible(page);
      await screenshot(page, 'account-security-info');
      expectCleanPage(page);

      // The server agrees: registered, no interrupt any more.
      const session = await apiSignIn(suite.server.url, MEGAN.upn, MEGAN.password);
      expect(session.body).toMatchObject({ registration: { required: false } });
    } finally {
      await patchPolicy(suite.server, { methodsRequired: 1 });
    }
  });
});

describe('account page: security info', () => {
  it('lets Adele add and remove security questions, change her password, and sign out everywhere', async () => {
    const { page, account } = await newAccount();
    await account.open(suite.server.url);
    await account.signIn(ADELE.upn, ADELE.password);

    // Second step: an emailed code.
    await account.secondStep.waitFor({ state: 'visible' });
    const before = Date.now() - 1000;
    await account.requestEmailCode();
    await expectAccessible(page);
    await screenshot(page, 'account-second-step');
    await account.enterSecondStepCode(
      await waitForMailedCode(suite.server.outbox, 'adele@example.org', { after: before }),
    );
    await account.infoStep.waitFor({ state: 'visible' });
    expect(await account.infoStep.getByText('Signed in as Adele Vance').count()).toBe(1);
    expect((await account.methods()).map((m) => m.name)).toEqual(['Email']);

    // Security questions: three distinct questions.
    await account.startAdding('Security questions');
    await account.page.getByRole('form', { name: 'Security questions' }).waitFor();
    await expectAccessible(page);
    await screenshot(page, 'account-add-questions');
    await account.registerQuestions(['Lighthouse alpha', 'Lighthouse bravo', 'Lighthouse charlie']);
    await account.waitForStatus(/Added: Security questions/);
    await account.waitForMethods((m) => m.some((x) => x.name === 'Security questions'));

    // Remove them again, after a confirmation (Cancel first: nothing happens).
    let dialog = await account.askToRemove('Security questions');
    expect(await dialog.textContent()).toContain('will no longer be used to verify your identity');
    await expectAccessible(page);
    await screenshot(page, 'account-remove');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await account.methods()).map((m) => m.name)).toContain('Security questions');
    dialog = await account.askToRemove('Security questions');
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await account.waitForStatus(/Removed: Security questions/);
    expect((await account.methods()).map((m) => m.name)).toEqual(['Email']);

    // Change the password with the live checklist.
    await account.typeNewPassword(ADELE.password, 'abc');
    const weak = await account.waitForChecklist((rules) =>
      rules.some((rule) => rule.state === 'not met'),
    );
    expect(weak.length).toBeGreaterThan(0);
    await account.typeNewPassword(ADELE.password, NEW_PASSWORD);
    await account.waitForChecklist(
      (rules) =>
        rules.length > 0 && rules.every((r) => r.state === 'met' || r.state === 'directory'),
    );
    await expectAccessible(page);
    await screenshot(page, 'account-change-password');
    await account.submitNewPassword();
    await account.waitForStatus(/Your password has been changed\./);
    expectCleanPage(page);
    expect((await apiSignIn(suite.server.url, ADELE.upn, ADELE.password)).status).toBe(401);
    const other = await apiSignIn(suite.server.url, ADELE.upn, NEW_PASSWORD);
    expect(other.status).toBe(200);
    expect(
      (await apiCall(suite.server.url, 'GET', '/auth/session', { cookie: other.cookie })).status,
    ).toBe(200);

    // Sign out everywhere: the other session is gone too.
    await account.signOut(true);
    await expect.poll(() => account.statusText()).toMatch(/signed out everywhere \(\d+ sessions\)/);
    await expectAccessible(page);
    await screenshot(page, 'account-signed-out');
    expect(
      (await apiCall(suite.server.url, 'GET', '/auth/session', { cookie: other.cookie })).status,
    ).toBe(401);

    // And back in with the new password through the page.
    await account.signedOutStep.getByRole('link', { name: 'Sign in again' }).click();
    await account.signInStep.getByLabel('User ID').waitFor();
    await account.signIn(ADELE.upn, NEW_PASSWORD);
    await account.secondStep.waitFor({ state: 'visible' });
    expectCleanPage(page);
  });
});

describe('phone methods', () => {
  it("registers Megan's mobile phone on the account page, then resets through the portal with a texted code", async () => {
    await patchPolicy(suite.server, { methods: { sms: true, voice: true } });
    try {
      const { page, account } = await newAccount();
      await account.open(suite.server.url);
      await account.signIn(MEGAN.upn, MEGAN.password);
      // Megan registered an app and an email in the interrupt test: a second step now.
      await account.secondStep.waitFor({ state: 'visible' });
      let before = Date.now() - 1000;
      await account.requestEmailCode();
      await account.enterSecondStepCode(
        await waitForMailedCode(suite.server.outbox, 'megan@example.org', { after: before }),
      );
      await account.infoStep.waitFor({ state: 'visible' });

      await account.startAdding('Mobile phone');
      before = Date.now() - 1000;
      await account.sendPhoneCode('+48 601 234 567');
      await expect.poll(() => account.statusText()).toContain('We texted a code to +48 601234567.');
      await expectAccessible(page);
      await screenshot(page, 'account-add-phone');
      await account.confirmPhone(
        await waitForMailedCode(suite.server.outbox, '+48 601234567', { after: before }),
      );
      await account.waitForStatus(/Added: Phone \(text message\)/);
      const methods = await account.waitForMethods((m) => m.length === 4);
      expect(methods.map((m) => m.name).sort()).toEqual([
        'Authenticator app',
        'Email',
        'Phone (call)',
        'Phone (text message)',
      ]);
      expectCleanPage(page);

      // The portal offers the texted code as a gate.
      const portal = new PortalPage(page);
      await portal.open(suite.server.url);
      await portal.submitUserId(MEGAN.upn);
      await portal.waitForMethodStep();
      await portal.chooseMethod('sms');
      before = Date.now() - 1000;
      await portal.sendCode();
      await expect
        .poll(() => portal.statusText())
        .toContain('We texted a code to your mobile phone.');
      await expectAccessible(page);
      await screenshot(page, 'portal-sms');
      await portal.enterCode(
        await waitForMailedCode(suite.server.outbox, '+48 601234567', { after: before }),
      );
      await portal.waitForPasswordStep();
    } finally {
      await patchPolicy(suite.server, { methods: { sms: false, voice: false } });
    }
  });

  it('signs Lynne in on the account page with a texted code (her directory mobile phone)', async () => {
    await patchPolicy(suite.server, { methods: { sms: true } });
    try {
      const { page, account } = await newAccount();
      const sent = await signInByText(account);
      await expectAccessible(page);
      await screenshot(page, 'account-second-step-sms');
      await finishTextedSignIn(account, sent);
      expect(await account.page.getByText('Lynne Robbins').count()).toBeGreaterThan(0);
      expectCleanPage(page);
    } finally {
      await patchPolicy(suite.server, { methods: { sms: false } });
    }
  });

  it('offers only the methods the policy lets Lynne register', async () => {
    await patchPolicy(suite.server, {
      methods: { sms: true, email: false, securityQuestions: true },
    });
    try {
      const { page, account } = await newAccount();
      await finishTextedSignIn(account, await signInByText(account));
      const offered = await account.addChoices();
      expect(offered).toContain('Authenticator app');
      expect(offered).toContain('Security questions');
      expect(offered).toContain('Mobile phone');
      expect(offered).not.toContain('Email');
      expect(offered).not.toContain('Office phone');
      expectCleanPage(page);
    } finally {
      await patchPolicy(suite.server, {
        methods: { sms: false, email: true, securityQuestions: false },
      });
    }
  });
});

/** Signs Lynne in up to the second step and asks for a texted code; answers when (ms). */
async function signInByText(account: AccountPage): Promise<number> {
  await account.open(suite.server.url);
  await account.signIn(LYNNE.upn, LYNNE.password);
  await account.secondStep.waitFor({ state: 'visible' });
  expect(await account.secondStepChoices()).toContain('Text a code to my mobile phone');
  const before = Date.now() - 1000;
  await account.requestTextedCode();
  await expect.poll(() => account.statusText()).toContain('We texted a code to your mobile phone.');
  return before;
}

/** Types the code texted to Lynne; she lands on her security info (or the interrupt). */
async function finishTextedSignIn(
  account: AccountPage,
  after = Date.now() - 60_000,
): Promise<void> {
  await account.enterSecondStepCode(
    await waitForTextedCode(suite.server.outbox, LYNNE.phone, { after }),
  );
  await account.page.getByRole('heading', { name: 'Add a method' }).waitFor({ state: 'visible' });
}

describe('account page on a phone', () => {
  it('fits a 390×844 screen: sign-in with the authenticator app and the security info page', async () => {
    const { page, account } = await newAccount({ viewport: PHONE_VIEWPORT, mobile: true });
    await account.open(suite.server.url);
    await account.signInStep.getByLabel('User ID').waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      PHONE_VIEWPORT.width,
    );
    await expectAccessible(page);
    await screenshot(page, 'account-sign-in-phone');
    await account.signIn(ALEX.upn, ALEX.password);
    await account.secondStep.waitFor({ state: 'visible' });
    await account.verifyWithTotp(totpCodeAt(suite.server.secrets.get(ALEX.upn) ?? '', new Date()));
    await account.infoStep.waitFor({ state: 'visible' });
    expect((await account.methods()).map((m) => m.name)).toEqual(['Authenticator app']);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(
      PHONE_VIEWPORT.width,
    );
    await expectAccessible(page);
    await screenshot(page, 'account-security-info-phone');
    expectCleanPage(page);
  });
});

describe('account page: re-confirmation', () => {
  it('asks Alex, whose methods are 200 days old, whether his security info is still right', async () => {
    suite.server.ageMethods(ALEX.upn, 200);
    const { page, account } = await newAccount();
    await account.open(suite.server.url);
    await account.signIn(ALEX.upn, ALEX.password);
    await account.secondStep.waitFor({ state: 'visible' });
    // The phone test used the current step's code: the next step's one is not a replay.
    await account.verifyWithTotp(
      totpCodeAt(suite.server.secrets.get(ALEX.upn) ?? '', new Date(Date.now() + 30_000)),
    );
    await account.reconfirmStep.waitFor({ state: 'visible' });
    expect(await account.reconfirmStep.getByRole('listitem').allTextContents()).toEqual([
      expect.stringContaining('Authenticator app'),
    ]);
    await expectAccessible(page);
    await screenshot(page, 'account-reconfirm');

    // "Change" goes to the security info page without confirming…
    await account.reconfirmStep.getByRole('button', { name: 'Change' }).click();
    await account.infoStep.waitFor({ state: 'visible' });
    await page.reload();
    await account.reconfirmStep.waitFor({ state: 'visible' });
    // …"Looks good" confirms: the prompt does not come back.
    await account.reconfirmStep.getByRole('button', { name: 'Looks good' }).click();
    await account.infoStep.waitFor({ state: 'visible' });
    await expect
      .poll(() => account.statusText())
      .toContain('Thank you for confirming your security info.');
    await page.reload();
    await account.infoStep.waitFor({ state: 'visible' });
    expect(await account.reconfirmStep.isVisible()).toBe(false);
    expectCleanPage(page);
  });
});

describe('account page: languages', () => {
  it('speaks Polish and German (?lang=), and the portal links to it in the same language', async () => {
    const { page } = await newAccount();
    await page.goto(`${suite.server.url}/account?lang=pl`);
    const signIn = page.getByRole('region', { name: 'Zaloguj się' });
    await signIn.getByLabel('Identyfikator użytkownika').waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('pl');
    expect(await signIn.getByRole('button', { name: 'Zaloguj' }).count()).toBe(1);
    expect(
      await signIn.getByRole('link', { name: 'Nie pamiętasz hasła?' }).getAttribute('href'),
    ).toBe('/?lang=pl');
    await expectAccessible(page);

    await page.goto(`${suite.server.url}/?lang=de`);
    await page.getByRole('region', { name: 'Kein Zugriff auf Ihr Konto?' }).waitFor();
    const link = page.getByRole('link', { name: 'Sicherheitsinformationen verwalten' });
    expect(await link.getAttribute('href')).toBe('/account?lang=de');
    await link.click();
    await page.getByRole('region', { name: 'Anmelden' }).getByLabel('Kennwort').waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await expectAccessible(page);
    expectCleanPage(page);
  });
});
