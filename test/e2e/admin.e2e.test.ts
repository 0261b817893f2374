/**
 * The admin center in a real browser (Debian's Chromium) against the demo server: admin sign-in
 * with the authenticator app, a non-admin refused, policy changes the portal then obeys,
 * customization shown on the portal, users, audit logs with filters and CSV / JSON downloads,
 * Usage & insights charts with the numbers of a reset done here, axe-core on every section, a
 * phone-sized run, administrator roles granted by a group, and one screenshot per main section in
 * docs/screenshots/admin-*.png.
 */
import { readFile } from 'node:fs/promises';
import type { Cookie, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { totpCodeAt } from '../../src/domain/methods/totp.js';
import { PNG_1PX } from '../support/images.js';
import { AdminPage, type SectionName } from './pages/admin-page.js';
import { PortalPage } from './pages/portal-page.js';
import { openPage, PHONE_VIEWPORT, type PageProblems } from './support/browser.js';
import { expectAccessible, screenshot } from './support/page-checks.js';
import { apiCall, waitForMailedCode } from './support/server.js';
import { useBrowserSuite } from './support/suite.js';

const ADMIN = 'admin@contoso.com';
const ADMIN_PASSWORD = 'Granite-Owl-6142!';
const ALEX = 'alex.wilber@contoso.com';
const ALEX_PASSWORD = 'Copper-Moss-7310!';
const ADELE = 'adele.vance@contoso.com';
const NEW_PASSWORD = 'Lantern-Reef-5082!';
const READER = 'rita.reader@contoso.com';
const READER_PASSWORD = 'Willow-Crane-8163!';
const HELPDESK = 'hank.helpdesk@contoso.com';
const HELPDESK_PASSWORD = 'Harbor-Finch-4527!';
const ROLE_GROUPS = 'Administrator roles from groups';
const PAGER_USERS = 55;
const POLICY_CHANGES = 'Self-service password reset policy changes';

const suite = useBrowserSuite();
/** The admin's session cookie after the first test signed in (TOTP codes cannot be replayed). */
let adminCookies: Cookie[] = [];

async function newPage(
  options: Parameters<typeof openPage>[1] = {},
): Promise<{ page: Page; problems: PageProblems }> {
  const { page, problems } = await suite.open(options);
  return { page, problems };
}

/** An admin center page already signed in as the demo admin (the cookie of the first test). */
async function adminPage(
  hash = '#/password-reset/properties',
  options: Parameters<typeof openPage>[1] = {},
): Promise<{ page: Page; admin: AdminPage; problems: PageProblems }> {
  expect(adminCookies.length, 'the sign-in test runs first').toBeGreaterThan(0);
  const { page, problems } = await newPage(options);
  await page.context().addCookies(adminCookies);
  const admin = new AdminPage(page);
  await admin.open(suite.server.url, hash);
  await admin.waitForApp();
  return { page, admin, problems };
}

/**
 * No uncaught error and no CSP violation; console errors only for the API answers the test
 * provoked on purpose (Chromium logs every 4xx fetch as "Failed to load resource").
 */
function expectClean(problems: PageProblems, allowedStatuses: readonly number[] = []): void {
  const unexpected = problems.consoleErrors.filter((line) => {
    const status = /status of (\d{3})/.exec(line)?.[1];
    return status === undefined || !allowedStatuses.includes(Number(status));
  });
  expect(problems.cspViolations).toEqual([]);
  expect(problems.pageErrors).toEqual([]);
  expect(unexpected).toEqual([]);
}

const totp = (upn: string) => (): string => {
  const secret = suite.server.secrets.get(upn);
  if (secret === undefined) throw new Error(`no TOTP secret for ${upn}`);
  return totpCodeAt(secret, new Date());
};

async function auditRows(admin: AdminPage): Promise<string[][]> {
  return admin.rows(admin.table('Audit events, newest first'));
}

/** Registers an authenticator app for the page's signed-in user (as the account page does). */
async function registerTotp(page: Page): Promise<string> {
  const secret = await page.evaluate(async () => {
    const response = await fetch('/api/v1/me/methods/totp', { method: 'POST' });
    return ((await response.json()) as { secret: string }).secret;
  });
  const registered = await page.evaluate(
    async (code) => {
      const response = await fetch('/api/v1/me/methods/totp/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ code }),
      });
      return response.status;
    },
    totpCodeAt(secret, new Date()),
  );
  expect(registered).toBe(200);
  return secret;
}

/** The policy's `administrators.roleGroups` as the page's session reads it. */
async function savedRoleGroups(page: Page): Promise<unknown> {
  return page.evaluate(async () => {
    const response = await fetch('/api/v1/admin/policy');
    return ((await response.json()) as { administrators: { roleGroups: unknown } }).administrators
      .roleGroups;
  });
}

describe('admin center', () => {
  it('signs the admin in with password + authenticator code and shows name and roles', async () => {
    const { page, problems } = await newPage();
    const admin = new AdminPage(page);
    await admin.open(suite.server.url);
    await admin.signInView.waitFor({ state: 'visible' });
    await expectAccessible(page);
    await screenshot(page, 'admin-sign-in');

    await admin.signIn(ADMIN, ADMIN_PASSWORD, totp(ADMIN));
    await admin.waitForApp();
    await admin.waitForSection('Password reset: Properties');
    expect(page.url()).toContain('#/password-reset/properties');
    expect(await admin.currentNavItem()).toBe('Properties');
    const banner = (await admin.who.textContent()) ?? '';
    expect(banner).toContain('Demo Admin');
    expect(banner).toContain('Global Administrator');
    // The demo enables SSPR for everyone.
    expect(await admin.section.getByRole('radio', { name: 'All', exact: true }).isChecked()).toBe(
      true,
    );
    await expectAccessible(page);
    await screenshot(page, 'admin-properties');
    adminCookies = await page.context().cookies();
    expect(adminCookies.some((c) => c.name === 'sspr_session')).toBe(true);
    // The visit before signing in asked GET /auth/session and got 401.
    expectClean(problems, [401]);
  });

  it('refuses a signed-in user without an administrator role', async () => {
    const { page, problems } = await newPage();
    const admin = new AdminPage(page);
    await admin.open(suite.server.url);
    await admin.signIn(ALEX, ALEX_PASSWORD, totp(ALEX));
    await admin.forbiddenView.waitFor({ state: 'visible' });
    expect(await admin.nav.isVisible()).toBe(false);
    expect((await admin.who.textContent()) ?? '').toContain('no administrator role');
    // The API agrees: the admin routes answer SSPR_2002 to this session.
    const answer = await page.evaluate(async () => {
      const response = await fetch('/api/v1/admin/policy');
      return { status: response.status, body: await response.json() };
    });
    expect(answer.status).toBe(403);
    expect(answer.body).toMatchObject({ error: { code: 'SSPR_2002' } });
    await expectAccessible(page);
    await screenshot(page, 'admin-forbidden');
    await admin.forbiddenView.getByRole('button', { name: 'Sign out' }).click();
    await admin.signInView.waitFor({ state: 'visible' });
    expectClean(problems, [401, 403]);
  });

  it('a Reports Reader sees the settings but cannot change them', async () => {
    const created = await apiCall(
      suite.server.url,
      'POST',
      '/admin/users',
      { token: suite.server.adminToken },
      {
        userPrincipalName: READER,
        displayName: 'Rita Reader',
        password: READER_PASSWORD,
        roles: ['reportsReader'],
        email: 'rita@example.org',
      },
    );
    expect(created.status).toBe(201);
    const { page, problems } = await newPage();
    const admin = new AdminPage(page);
    await admin.open(suite.server.url, '#/password-reset/notifications');
    // Held to the administrator policy (ADR 0012): one method (her email) is not enough…
    await admin.signIn(READER, READER_PASSWORD);
    await admin.forbiddenView.waitFor({ state: 'visible' });
    expect(await admin.forbiddenView.getByRole('heading').textContent()).toContain(
      'Register two verification methods first',
    );
    expect(
      await admin.forbiddenView
        .getByRole('link', { name: 'Go to your security info' })
        .getAttribute('href'),
    ).toMatch(/^\/account\?lang=en$/);
    await expectAccessible(page);
    await screenshot(page, 'admin-register-methods');
    // …she adds an authenticator app (as the account page does), and must then sign in again so
    // that the session is confirmed with the second step.
    const secret = await registerTotp(page);
    await page.reload();
    await admin.forbiddenView.waitFor({ state: 'visible' });
    expect(await admin.forbiddenView.getByRole('heading').textContent()).toContain('Sign in again');
    await admin.forbiddenView.getByRole('button', { name: 'Sign out' }).click();
    await admin.signInView.waitFor({ state: 'visible' });
    await admin.signIn(READER, READER_PASSWORD, () =>
      totpCodeAt(secret, new Date(Date.now() + 30_000)),
    );
    await admin.waitForSection('Notifications');
    expect((await admin.who.textContent()) ?? '').toContain('Reports Reader');
    expect(await admin.section.getByRole('button', { name: 'Save' }).isDisabled()).toBe(true);
    expect((await admin.section.textContent()) ?? '').toContain(
      'Your role can view these settings but not change them',
    );
    // The API refuses the write too, and the page says so with the support code.
    const answer = await page.evaluate(async () => {
      const response = await fetch('/api/v1/admin/policy', {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ notifications: { notifyUserOnReset: false } }),
      });
      return response.status;
    });
    expect(answer).toBe(403);
    await admin.goTo('On-premises integration');
    expect(await admin.section.getByRole('button', { name: 'Sync now (delta)' }).isDisabled()).toBe(
      true,
    );
    await admin.goTo('Usage & insights');
    await expectAccessible(page);
    expectClean(problems, [401, 403]);
  });

  it('Adele resets her password in the portal (counted in Usage & insights later)', async () => {
    const { page } = await newPage();
    const portal = new PortalPage(page);
    await portal.open(suite.server.url);
    await portal.submitUserId(ADELE);
    await portal.waitForMethodStep();
    await portal.chooseMethod('email');
    const before = Date.now() - 1000;
    await portal.sendCode();
    await portal.enterCode(
      await waitForMailedCode(suite.server.outbox, 'adele@example.org', { after: before }),
    );
    await portal.waitForPasswordStep();
    await portal.typeNewPassword(NEW_PASSWORD);
    await portal.submitNewPassword();
    await portal.waitForDone();
  });

  it('a policy change in Authentication methods is obeyed by the portal', async () => {
    const { page, admin, problems } = await adminPage('#/password-reset/authentication-methods');
    await admin.waitForSection('Authentication methods');
    const email = admin.section.getByRole('checkbox', { name: 'Email', exact: true });
    expect(await email.isChecked()).toBe(true);

    // Validation next to the field: 2 required but only one method ticked.
    await admin.section.getByRole('radio', { name: '2', exact: true }).check();
    for (const box of await admin.section.getByRole('checkbox').all()) await box.uncheck();
    await admin.section.getByRole('checkbox', { name: /authenticator app/ }).check();
    await admin.save();
    await expect
      .poll(() => admin.section.getByText('Select at least 2 method(s)').isVisible())
      .toBe(true);
    await expectAccessible(page);
    await screenshot(page, 'admin-methods-invalid');
    // Discard restores the saved document.
    await admin.section.getByRole('button', { name: 'Discard' }).click();
    expect(await email.isChecked()).toBe(true);
    expect(await admin.section.getByRole('radio', { name: '1', exact: true }).isChecked()).toBe(
      true,
    );

    // Custom security questions: a too-short one is refused next to its field, then saved.
    await admin.section.getByRole('button', { name: 'Add a question' }).click();
    const question = admin.section.getByLabel('Custom question 1', { exact: true });
    await question.fill('Hi');
    await admin.save();
    await expect
      .poll(() => admin.section.getByText('A question has 3 to 200 characters.').isVisible())
      .toBe(true);
    expect(await question.getAttribute('aria-invalid')).toBe('true');
    await question.fill('Which street did you grow up on?');
    expect(await admin.saveAndWait()).toContain('Saved');
    const withQuestion = await page.evaluate(async () => {
      const response = await fetch('/api/v1/admin/policy');
      return (await response.json()) as { securityQuestions: { custom: { text: string }[] } };
    });
    expect(withQuestion.securityQuestions.custom.map((q) => q.text)).toEqual([
      'Which street did you grow up on?',
    ]);
    await admin.section.getByRole('button', { name: 'Remove custom question 1' }).click();
    expect(await admin.saveAndWait()).toContain('Saved');

    // Untick Email and save: Adele (email only) has no method left in the portal.
    await email.uncheck();
    expect(await admin.saveAndWait()).toContain('Saved');
    await screenshot(page, 'admin-methods');
    const policy = await page.evaluate(async () => {
      const response = await fetch('/api/v1/admin/policy');
      return (await response.json()) as { methods: { email: boolean; totp: boolean } };
    });
    expect(policy.methods).toMatchObject({ email: false, totp: true });

    const portalPage = (await newPage()).page;
    const portal = new PortalPage(portalPage);
    await portal.open(suite.server.url);
    await portal.submitUserId(ADELE);
    await expect.poll(() => portal.supportCode(), { timeout: 60_000 }).toMatch(/\S+/);
    expect(await portal.methodStep.isVisible()).toBe(false);
    await expect.poll(() => portal.statusText()).toMatch(/method/i);

    // Tick it again: the portal offers email once more.
    await email.check();
    expect(await admin.saveAndWait()).toContain('Saved');
    await portal.open(suite.server.url);
    await portal.submitUserId(ADELE);
    await portal.waitForMethodStep();
    expect(await portal.methodChoices()).toEqual([expect.stringMatching(/email/i)]);
    expectClean(problems);
  });

  it('Customization: the organization name saved here shows on the portal', async () => {
    const { page, admin, problems } = await adminPage('#/password-reset/customization');
    await admin.waitForSection('Customization');
    const link = admin.section.getByLabel('Custom helpdesk email or URL');
    await link.fill('not a link');
    await admin.save();
    await expect
      .poll(() => admin.section.getByText('Enter an email address or an http(s) URL.').isVisible())
      .toBe(true);
    expect(await link.getAttribute('aria-invalid')).toBe('true');
    await link.fill('https://help.fabrikam.example/sspr');
    await admin.section.getByLabel('Organization name').fill('Fabrikam Ltd');
    await admin.section.getByLabel('Use a custom accent colour').check();
    await admin.section.getByLabel('Accent colour', { exact: true }).fill('#7a3db8');
    // A logo read in the page (FileReader → data URL), previewed before saving.
    await admin.section.getByLabel('Logo', { exact: true }).setInputFiles({
      name: 'logo.png',
      mimeType: 'image/png',
      buffer: Buffer.from(PNG_1PX, 'base64'),
    });
    const preview = admin.section.getByRole('img', { name: 'Logo preview' });
    await preview.waitFor({ state: 'visible' });
    expect(await preview.getAttribute('src')).toBe(`data:image/png;base64,${PNG_1PX}`);
    expect(await admin.saveAndWait()).toContain('Saved');
    const saved = await page.evaluate(async () => {
      const response = await fetch('/api/v1/admin/policy');
      return ((await response.json()) as { customization: unknown }).customization;
    });
    expect(saved).toEqual({
      helpdeskLink: 'https://help.fabrikam.example/sspr',
      organizationName: 'Fabrikam Ltd',
      accentColor: '#7a3db8',
      logo: `data:image/png;base64,${PNG_1PX}`,
    });
    await expectAccessible(page);
    await screenshot(page, 'admin-customization');

    const portalPage = (await newPage()).page;
    await new PortalPage(portalPage).open(suite.server.url);
    await expect
      .poll(async () => (await portalPage.getByRole('banner').textContent()) ?? '')
      .toContain('Fabrikam Ltd');
    await expect
      .poll(() => portalPage.locator('#brand-logo').getAttribute('src'))
      .toMatch(/^\/api\/v1\/sspr\/branding\/logo/);

    // Remove the logo again: saved as null.
    await admin.section.getByRole('button', { name: 'Remove logo' }).click();
    expect(await preview.isVisible()).toBe(false);
    expect(await admin.saveAndWait()).toContain('Saved');
    const after = await page.evaluate(async () => {
      const response = await fetch('/api/v1/sspr/settings');
      return (await response.json()) as { logoUrl: string | null; organizationName: string };
    });
    expect(after).toMatchObject({ logoUrl: null, organizationName: 'Fabrikam Ltd' });
    expectClean(problems);
  });

  it('Users: search with paging, and a user’s details', async () => {
    // 55 more users: the search pages (25 a page) and the audit log gets 55 "Add user" events.
    for (let i = 1; i <= PAGER_USERS; i++) {
      const n = String(i).padStart(2, '0');
      const answer = await apiCall(
        suite.server.url,
        'POST',
        '/admin/users',
        { token: suite.server.adminToken },
        {
          userPrincipalName: `pager-${n}@contoso.com`,
          displayName: `Pager ${n}`,
          password: READER_PASSWORD,
        },
      );
      expect(answer.status).toBe(201);
    }
    const { page, admin, problems } = await adminPage('#/users');
    await admin.waitForSection('Users');
    await admin.section.getByRole('searchbox', { name: /Search users/ }).fill('pager-');
    await admin.section.getByRole('button', { name: 'Search' }).click();
    await expect.poll(async () => (await admin.rows(admin.table('Users'))).length).toBe(25);
    const more = admin.section.getByRole('button', { name: 'Load more' });
    await more.click();
    await expect.poll(async () => (await admin.rows(admin.table('Users'))).length).toBe(50);
    await more.click();
    await expect.poll(async () => (await admin.rows(admin.table('Users'))).length).toBe(55);
    expect(await more.isVisible()).toBe(false);
    const upns = (await admin.rows(admin.table('Users'))).map((r) => r[1]);
    expect(new Set(upns).size).toBe(PAGER_USERS);

    await admin.section.getByRole('searchbox', { name: /Search users/ }).fill('adele');
    await admin.section.getByRole('button', { name: 'Search' }).click();
    await expect.poll(async () => (await admin.rows(admin.table('Users'))).length).toBe(1);
    const [row] = await admin.rows(admin.table('Users'));
    expect(row?.[1]).toBe(ADELE);
    await expectAccessible(page);
    await screenshot(page, 'admin-users');

    await admin.section.getByRole('link', { name: 'Adele Vance' }).click();
    await admin.waitForSection('Adele Vance');
    expect(await admin.currentNavItem()).toBe('Users');
    const details = (await admin.section.textContent()) ?? '';
    expect(details).toContain(ADELE);
    expect(details).toContain('Cloud');
    const methods = await admin.rows(admin.table('Methods registered'));
    expect(methods.map((m) => m[0])).toContain('Email');
    await expectAccessible(page);
    await screenshot(page, 'admin-user-detail');
    expectClean(problems);
  });

  it('Audit logs: filters, paging and CSV / JSON downloads', async () => {
    const { page, admin, problems } = await adminPage('#/audit');
    await admin.waitForSection('Audit logs');
    // Unfiltered: the newest 50 events, and more to load.
    expect((await auditRows(admin)).length).toBe(50);
    expect(await admin.section.getByRole('button', { name: 'Load more' }).isVisible()).toBe(true);

    // By user: Adele's reset from the portal, with her as its target.
    await admin.section.getByLabel('User', { exact: true }).fill(ADELE);
    await admin.section.getByRole('button', { name: 'Apply filters' }).click();
    await expect
      .poll(async () => (await auditRows(admin)).map((r) => r[1]))
      .toContain('Reset password (self-service)');
    const adeles = await auditRows(admin);
    expect(adeles.every((r) => r[3] === ADELE || r[4] === ADELE)).toBe(true);
    await admin.section.getByLabel('User', { exact: true }).fill('');

    await admin.section.getByLabel('Activity').selectOption(POLICY_CHANGES);
    await admin.section.getByLabel('Result').selectOption('success');
    await admin.section.getByRole('button', { name: 'Apply filters' }).click();
    await expect
      .poll(async () => (await auditRows(admin)).every((r) => r[1] === POLICY_CHANGES))
      .toBe(true);
    const changes = await auditRows(admin);
    // The demo seed and the three saves above, made by the admin in the browser.
    expect(changes.length).toBeGreaterThanOrEqual(3);
    expect(changes.filter((r) => r[3] === ADMIN).length).toBeGreaterThanOrEqual(3);
    await expectAccessible(page);
    await screenshot(page, 'admin-audit');

    // Download CSV: the same filters, every matching row.
    const csvLink = admin.section.getByRole('link', { name: 'Download CSV' });
    expect(await csvLink.getAttribute('href')).toContain(
      `activity=${encodeURIComponent(POLICY_CHANGES).replace(/%20/g, '+')}`,
    );
    const [csvDownload] = await Promise.all([page.waitForEvent('download'), csvLink.click()]);
    expect(csvDownload.suggestedFilename()).toMatch(/^sspr-audit-\d{8}-\d{6}\.csv$/);
    const csv = await readFile(await csvDownload.path(), 'utf8');
    const lines = csv.trim().split(/\r?\n/);
    expect(lines[0]).toMatch(/activity/i);
    expect(lines[0]).toMatch(/correlationId/i);
    expect(lines.slice(1).some((l) => l.includes(POLICY_CHANGES) && l.includes(ADMIN))).toBe(true);
    expect(lines.length - 1).toBe(changes.length);

    const [jsonDownload] = await Promise.all([
      page.waitForEvent('download'),
      admin.section.getByRole('link', { name: 'Download JSON' }).click(),
    ]);
    const json = JSON.parse(await readFile(await jsonDownload.path(), 'utf8')) as {
      activity: string;
      actorUpn: string | null;
    }[];
    expect(json.length).toBe(changes.length);
    expect(json.every((e) => e.activity === POLICY_CHANGES)).toBe(true);
    expect(json.some((e) => e.actorUpn === ADMIN)).toBe(true);

    // Paging: 50 events a page, "Load more" fetches the next (60 "Add user" events by now).
    await admin.section.getByLabel('Activity').selectOption('Add user');
    await admin.section.getByLabel('Result').selectOption('');
    await admin.section.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(async () => (await auditRows(admin))[0]?.[1]).toBe('Add user');
    expect((await auditRows(admin)).length).toBe(50);
    await admin.section.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(async () => (await auditRows(admin)).length).toBeGreaterThan(50);
    const added = await auditRows(admin);
    expect(added.every((r) => r[1] === 'Add user')).toBe(true);
    expect(added.length).toBe(PAGER_USERS + 6); // the demo's 5 users and the Reports Reader
    expect(await admin.section.getByRole('button', { name: 'Load more' }).isVisible()).toBe(false);

    // Filter by correlation id: exactly that event.
    const correlation = changes[0]?.[6] ?? '';
    expect(correlation).not.toBe('');
    await admin.section.getByLabel('Activity').selectOption('');
    await admin.section.getByLabel('Correlation ID').fill(correlation);
    await admin.section.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(async () => (await auditRows(admin)).map((r) => r[6])).toEqual([correlation]);
    expectClean(problems);
  });

  it('Usage & insights: charts and tables carry the numbers of the reset done earlier', async () => {
    const { page, admin, problems } = await adminPage('#/usage');
    await admin.waitForSection('Usage & insights');
    const perDay = admin.section.getByRole('figure', { name: /Activity per day/ });
    await perDay.waitFor({ state: 'visible' });
    expect(await perDay.getByRole('img', { name: /Activity per day/ }).count()).toBe(1);
    expect(await perDay.locator('polyline').count()).toBe(5);
    // The same numbers as a table: today's row has Adele's reset.
    await perDay.getByText('Show the numbers as a table').click();
    const today = new Date().toISOString().slice(0, 10);
    const dayRows = await admin.rows(perDay.getByRole('table'));
    expect(dayRows.length).toBe(30);
    const todayRow = dayRows.find((r) => r[0] === today);
    expect(todayRow?.[1]).toBe('1'); // Password resets
    const totals = (await admin.section.locator('dl').first().textContent()) ?? '';
    expect(totals).toMatch(/Password resets\s*1(?!\d)/);

    const byMethod = admin.section.getByRole('figure', { name: /by authentication method/ });
    await byMethod.getByText('Show the numbers as a table').click();
    const methodRows = await admin.rows(byMethod.getByRole('table'));
    expect(Number(methodRows.find((r) => r[0] === 'Email')?.[1])).toBeGreaterThanOrEqual(1);

    const registration = admin.section.getByRole('figure', { name: 'Users by registered method' });
    await registration.waitFor({ state: 'visible' });
    const regMore = admin.section.getByRole('button', { name: 'Load more' });
    await expect
      .poll(async () => {
        if (await regMore.isVisible()) await regMore.click();
        return (await admin.rows(admin.table('Registration per user'))).length;
      })
      .toBe(PAGER_USERS + 6);
    const adele = (await admin.rows(admin.table('Registration per user'))).find(
      (r) => r[1] === ADELE,
    );
    expect(adele?.slice(2)).toEqual(['Yes', 'Yes', 'Yes', 'Email']);
    await expectAccessible(page);
    await screenshot(page, 'admin-usage');
    expectClean(problems);
  });

  it('every section is reachable from the nav, marks itself current and passes axe', async () => {
    const { page, admin, problems } = await adminPage();
    const sections: SectionName[] = [
      'Properties',
      'Authentication methods',
      'Registration',
      'Notifications',
      'Customization',
      'On-premises integration',
      'Administrator policy',
      'Users',
      'Audit logs',
      'Usage & insights',
    ];
    for (const name of sections) {
      await admin.goTo(name);
      expect(await admin.currentNavItem()).toBe(name);
      // Focus moves to the section's heading for keyboard and screen-reader users.
      expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe(
        'section-heading',
      );
      await expectAccessible(page);
    }
    await admin.goTo('On-premises integration');
    await admin.section.getByRole('heading', { name: 'Agents and writeback status' }).waitFor();
    expect((await admin.section.textContent()) ?? '').toContain('No agent has registered yet');
    // Sync now without an agent: SSPR_0030, with its support code, in the live region.
    await admin.section.getByRole('button', { name: 'Sync now (delta)' }).click();
    const syncStatus = admin.section.getByRole('status').last();
    await expect.poll(async () => (await syncStatus.textContent()) ?? '').toMatch(/SSPR_0030/);
    expect((await syncStatus.textContent()) ?? '').toMatch(/Support code: \S+/);
    await screenshot(page, 'admin-on-premises');

    // Properties: "Selected" needs a group id, said next to the field.
    await admin.goTo('Properties');
    await admin.section.getByRole('radio', { name: /^Selected/ }).check();
    await admin.save();
    await expect
      .poll(() => admin.section.getByText('Enter the id of a group.').isVisible())
      .toBe(true);
    expect(await admin.section.getByLabel('Group ID').getAttribute('aria-invalid')).toBe('true');
    // The group picker searches by name (Enter searches instead of saving) and says so when
    // nothing matches; the id field stays editable for pasting an id.
    const find = admin.section.getByLabel('Find a group');
    await find.fill('no such group');
    await find.press('Enter');
    await expect
      .poll(() => admin.section.getByText('No group found', { exact: true }).isVisible())
      .toBe(true);
    expect(await admin.section.getByRole('list', { name: 'Matching groups' }).isVisible()).toBe(
      false,
    );
    expect(await admin.section.getByLabel('Group ID').isEditable()).toBe(true);
    await admin.section.getByRole('button', { name: 'Discard' }).click();
    expect(await admin.section.getByLabel('Group ID').isVisible()).toBe(false);

    // Keyboard only: a focused nav link opens its section with Enter.
    await admin.nav.getByRole('link', { name: 'Registration', exact: true }).focus();
    await page.keyboard.press('Enter');
    await admin.waitForSection('Registration');
    expect(await admin.currentNavItem()).toBe('Registration');
    const days = admin.section.getByLabel(/re-confirm/);
    await days.fill('900');
    await admin.save();
    await expect
      .poll(() => admin.section.getByText('Enter a whole number from 0 to 730.').isVisible())
      .toBe(true);
    expect(await days.getAttribute('aria-invalid')).toBe('true');

    // German: ?lang=de translates the nav and the sections.
    await page.goto(`${suite.server.url}/admin?lang=de#/password-reset/authentication-methods`);
    await admin.sectionHeading
      .filter({ hasText: 'Kennwortzurücksetzung: Authentifizierungsmethoden' })
      .waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    await page.getByRole('navigation', { name: 'Admin-Center' }).waitFor();
    await admin.section.getByRole('checkbox', { name: 'E-Mail', exact: true }).waitFor();
    expect(await admin.section.getByRole('button', { name: 'Speichern' }).count()).toBe(1);
    await expectAccessible(page);
    await screenshot(page, 'admin-methods-de');
    expectClean(problems, [503]);
  });

  it('?lang=pl shows the admin center in Polish', async () => {
    const { page, admin, problems } = await adminPage('#/password-reset/authentication-methods');
    await page.goto(`${suite.server.url}/admin?lang=pl#/password-reset/authentication-methods`);
    await admin.sectionHeading
      .filter({ hasText: 'Resetowanie hasła: Metody uwierzytelniania' })
      .waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('pl');
    const nav = page.getByRole('navigation', { name: 'Centrum administracyjne' });
    expect((await nav.locator('a[aria-current="page"]').textContent())?.trim()).toBe(
      'Metody uwierzytelniania',
    );
    expect(await nav.getByRole('link', { name: 'Dzienniki inspekcji', exact: true }).count()).toBe(
      1,
    );
    await admin.section.getByRole('checkbox', { name: 'E-mail', exact: true }).waitFor();
    expect(await admin.section.getByRole('button', { name: 'Zapisz' }).count()).toBe(1);
    await expectAccessible(page);
    await screenshot(page, 'admin-methods-pl');
    expectClean(problems);
  });

  it('works on a phone-sized screen: the menu opens the nav and a section fits', async () => {
    const { page, admin, problems } = await adminPage('#/password-reset/registration', {
      viewport: PHONE_VIEWPORT,
      mobile: true,
    });
    await admin.waitForSection('Registration');
    expect(await admin.nav.isVisible()).toBe(false);
    const menu = page.getByRole('button', { name: 'Menu' });
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    await admin.nav.waitFor({ state: 'visible' });
    await expectAccessible(page);
    await screenshot(page, 'admin-nav-phone');
    await admin.goTo('Notifications');
    expect(await admin.nav.isVisible()).toBe(false);
    const width = await page.evaluate('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(PHONE_VIEWPORT.width);
    await expectAccessible(page);
    await screenshot(page, 'admin-notifications-phone');
    expectClean(problems);
  });
  // Last: its user and group would change the counts the Users, Audit and Usage tests expect.
  it('Administrator policy: a group mapped to a role makes its members administrators', async () => {
    // A cloud group with a new user in it; the user has an email address and, below, an
    // authenticator app: the two methods the administrator policy asks for (ADR 0012).
    const token = suite.server.adminToken;
    const user = await apiCall(
      suite.server.url,
      'POST',
      '/admin/users',
      { token },
      {
        userPrincipalName: HELPDESK,
        displayName: 'Hank Helpdesk',
        password: HELPDESK_PASSWORD,
        email: 'hank@example.org',
      },
    );
    expect(user.status).toBe(201);
    const group = await apiCall(
      suite.server.url,
      'POST',
      '/admin/groups',
      { token },
      { displayName: 'SSPR helpdesk' },
    );
    expect(group.status).toBe(201);
    const groupId = (group.body as { id: string }).id;
    expect(groupId).not.toBe('');
    const member = await apiCall(
      suite.server.url,
      'POST',
      `/admin/groups/${encodeURIComponent(groupId)}/members`,
      { token },
      { memberId: HELPDESK },
    );
    expect(member.status).toBe(204);

    // Before the mapping Hank holds no role; he registers his authenticator app meanwhile.
    const hank = await newPage();
    const hankAdmin = new AdminPage(hank.page);
    await hankAdmin.open(suite.server.url);
    await hankAdmin.signIn(HELPDESK, HELPDESK_PASSWORD);
    await hankAdmin.forbiddenView.waitFor({ state: 'visible' });
    expect(await hankAdmin.forbiddenView.getByRole('heading').textContent()).toContain(
      'You need an administrator role',
    );
    const secret = await registerTotp(hank.page);
    await hankAdmin.forbiddenView.getByRole('button', { name: 'Sign out' }).click();
    await hankAdmin.signInView.waitFor({ state: 'visible' });

    // The demo admin (a Global Administrator) maps the group to Helpdesk Administrator.
    const { page, admin, problems } = await adminPage('#/password-reset/administrator-policy');
    await admin.waitForSection('Administrator policy');
    const editor = admin.section.getByRole('group', { name: ROLE_GROUPS });
    expect((await editor.textContent()) ?? '').toContain('No group grants an administrator role.');
    expect(await editor.getByRole('table').isVisible()).toBe(false);
    const groupField = editor.getByLabel('Group ID', { exact: true });
    const add = editor.getByRole('button', { name: 'Add role for group' });
    // An empty group id is refused next to the field, and nothing is added.
    await add.click();
    await expect
      .poll(() => editor.getByText('Enter the id of a group (at most 200 characters).').isVisible())
      .toBe(true);
    expect(await groupField.getAttribute('aria-invalid')).toBe('true');
    await editor
      .getByLabel('Role', { exact: true })
      .selectOption({ label: 'Helpdesk Administrator' });
    // The group picker: typing part of the name finds it (after the debounce), with a live
    // count; the results are buttons, reached from the search with ArrowDown.
    const find = editor.getByLabel('Find a group');
    await find.fill('sspr HELP');
    const pick = editor.getByRole('button', { name: 'Select SSPR helpdesk (cloud)' });
    await pick.waitFor({ state: 'visible' });
    expect(await editor.getByText('1 group found', { exact: true }).isVisible()).toBe(true);
    expect(
      await editor.getByRole('list', { name: 'Matching groups' }).getByRole('button').count(),
    ).toBe(1);
    await expectAccessible(page);
    await screenshot(page, 'admin-group-picker');
    await find.press('ArrowDown');
    expect(
      await page.evaluate(
        "document.activeElement && document.activeElement.getAttribute('aria-label')",
      ),
    ).toBe('Select SSPR helpdesk (cloud)');
    await page.keyboard.press('Enter');
    // Choosing fills the id field, moves focus there and shows the group's name next to it.
    expect(await groupField.inputValue()).toBe(groupId);
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe(
      await groupField.getAttribute('id'),
    );
    expect(await editor.getByText('Group: SSPR helpdesk (cloud)').isVisible()).toBe(true);
    expect(await pick.count()).toBe(0);
    expect(await groupField.getAttribute('aria-invalid')).toBeNull();
    await add.click();
    const grid = admin.table('Groups that grant an administrator role');
    expect(await admin.rows(grid)).toEqual([
      ['Helpdesk Administrator', `SSPR helpdesk (cloud) ${groupId}`, 'Remove'],
    ]);
    expect(await groupField.inputValue()).toBe('');
    expect(await editor.getByText('Group: SSPR helpdesk (cloud)').isVisible()).toBe(false);
    // The same mapping twice is refused (a pasted id works like a picked one).
    await groupField.fill(groupId);
    expect(await editor.getByText('Group: SSPR helpdesk (cloud)').isVisible()).toBe(true);
    await groupField.press('Enter');
    await expect
      .poll(() => editor.getByText('This group already grants this role.').isVisible())
      .toBe(true);
    expect((await admin.rows(grid)).length).toBe(1);
    await groupField.fill('');
    // Not saved yet: the server still has none.
    expect(await savedRoleGroups(page)).toEqual([]);
    expect(await admin.saveAndWait()).toContain('Saved');
    expect(await savedRoleGroups(page)).toEqual([{ role: 'helpdeskAdministrator', groupId }]);
    await expectAccessible(page);
    await screenshot(page, 'admin-role-groups');

    // Hank signs in to the admin center again: the group makes him a Helpdesk Administrator.
    await hankAdmin.signIn(HELPDESK, HELPDESK_PASSWORD, () =>
      totpCodeAt(secret, new Date(Date.now() + 30_000)),
    );
    await hankAdmin.waitForSection('Password reset: Properties');
    expect((await hankAdmin.who.textContent()) ?? '').toContain('Helpdesk Administrator');
    // Only a Global Administrator may change the mappings: the editor is disabled for him, with
    // a note, and the API refuses him too.
    await hankAdmin.goTo('Administrator policy');
    const hankEditor = hankAdmin.section.getByRole('group', { name: ROLE_GROUPS });
    expect((await hankEditor.textContent()) ?? '').toContain(
      'Only a Global Administrator can change which groups grant roles.',
    );
    expect(await hankEditor.getByLabel('Group ID', { exact: true }).isDisabled()).toBe(true);
    expect(await hankEditor.getByLabel('Find a group').isDisabled()).toBe(true);
    // The saved id is shown with the group's name (one lookup of the groups).
    const hankRemove = hankEditor.getByRole('button', {
      name: 'Remove Helpdesk Administrator for group SSPR helpdesk',
    });
    await hankRemove.waitFor({ state: 'visible' });
    expect(
      await hankAdmin.rows(hankAdmin.table('Groups that grant an administrator role')),
    ).toEqual([['Helpdesk Administrator', `SSPR helpdesk (cloud) ${groupId}`, 'Remove']]);
    expect(await hankRemove.isDisabled()).toBe(true);
    const refused = await hank.page.evaluate(async () => {
      const response = await fetch('/api/v1/admin/policy', {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ administrators: { roleGroups: [] } }),
      });
      return { status: response.status, body: await response.json() };
    });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: { code: 'SSPR_2002' } });
    await expectAccessible(hank.page);

    // The admin removes the mapping again (later runs and tests start without it)…
    await editor
      .getByRole('button', { name: 'Remove Helpdesk Administrator for group SSPR helpdesk' })
      .click();
    expect(await grid.isVisible()).toBe(false);
    expect((await editor.textContent()) ?? '').toContain('No group grants an administrator role.');
    expect(await admin.saveAndWait()).toContain('Saved');
    expect(await savedRoleGroups(page)).toEqual([]);
    // …and Hank holds no role any more.
    await hank.page.reload();
    await hankAdmin.forbiddenView.waitFor({ state: 'visible' });
    expect(await hankAdmin.forbiddenView.getByRole('heading').textContent()).toContain(
      'You need an administrator role',
    );
    expectClean(problems);
    expectClean(hank.problems, [401, 403]);
  });
});
