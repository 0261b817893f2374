/**
 * The portal's unlock-only path against a real directory: a private OpenLDAP slapd (ppolicy), the
 * production agent dialled in to the server, and Chromium. A directory user locked out by wrong
 * passwords passes the gate, chooses "I know my password but can't sign in", and can bind again
 * with the same password (proved with OpenLDAP's own `ldapwhoami`); another one chooses the reset.
 * On the same directory, the account page's change-password checklist shows the signed-in directory
 * user's own policy, the ppolicy history rule marked "checked by your directory"; and the admin
 * center's On-premises integration shows the real agent connected with writeback ready.
 */
import { execFile } from 'node:child_process';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { totpCodeAt } from '../../src/domain/methods/totp.js';
import { useOpenLdap, type OpenLdapFacts } from '../support/directories.js';
import { enableAllAndSync, openLdapConnection, registerTotp } from '../support/hybrid.js';
import { AccountPage } from './pages/account-page.js';
import { AdminPage } from './pages/admin-page.js';
import { PortalPage } from './pages/portal-page.js';
import { expectCleanPage } from './support/browser.js';
import { expectAccessible, screenshot } from './support/page-checks.js';
import { apiCall, apiSignIn, startHybridServer } from './support/server.js';
import { useBrowserSuite } from './support/suite.js';

// A private slapd: this file locks a user out, which must not race the int tests' shared one.
const slapd = useOpenLdap({ isolated: true });
let f: OpenLdapFacts;
const suite = useBrowserSuite(async () => {
  f = slapd();
  const server = await startHybridServer(openLdapConnection(f));
  // SSPR for everyone with unlock allowed, then a full sync of the directory's users.
  await enableAllAndSync(server.hybrid);
  return server;
}, 180_000);

async function newPortal(): Promise<{ page: Page; portal: PortalPage }> {
  const { page } = await suite.open();
  return { page, portal: new PortalPage(page) };
}

/** `ldapwhoami` over LDAPS as a real client would: ok when the bind succeeds. */
function ldapwhoami(dn: string, password: string): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(
      'ldapwhoami',
      ['-x', '-H', f.ldapsUrl, '-D', dn, '-w', password],
      { env: { ...process.env, LDAPTLS_CACERT: f.caFile }, timeout: 15_000 },
      (error, stdout, stderr) => {
        resolve({ ok: error === null, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** Passes the portal's authenticator gate with the next step's code (the current one was used). */
async function passGate(portal: PortalPage, upn: string, secret: string): Promise<void> {
  await portal.open(suite.server.url);
  await portal.submitUserId(upn);
  await portal.waitForMethodStep();
  await portal.chooseMethod('totp');
  await portal.enterCode(totpCodeAt(secret, new Date(Date.now() + 30_000)));
}

describe('portal: unlock only (directory user, OpenLDAP)', () => {
  it('unlocks Bob, locked out by wrong passwords; his same password binds again', async () => {
    const bob = f.users.bob;
    const secret = await registerTotp(suite.server.hybrid, bob.mail, bob.password);
    // Lock Bob out as a user typing wrong passwords would (ppolicy pwdMaxFailure).
    for (let i = 0; i < f.policies.default.pwdMaxFailure; i++) {
      expect((await ldapwhoami(bob.dn, `Wrong-${String(i)}-Password!`)).ok).toBe(false);
    }
    const locked = await ldapwhoami(bob.dn, bob.password);
    expect(locked.ok).toBe(false);
    expect(locked.output).toContain('Invalid credentials (49)');

    const { page, portal } = await newPortal();
    await passGate(portal, bob.mail, secret);
    await portal.waitForChoiceStep();
    await expect(
      portal.choiceStep
        .getByRole('radio', { name: /I know my password but can't sign in/ })
        .count(),
    ).resolves.toBe(1);
    await expectAccessible(page);
    await screenshot(page, 'portal-choice');
    await portal.choose('unlock');
    await portal.waitForUnlocked();
    await expect(portal.unlockedStep.textContent()).resolves.toContain(
      'You can now sign in with your current password.',
    );
    await expectAccessible(page);
    await screenshot(page, 'portal-unlock');
    expectCleanPage(page);

    const unlocked = await ldapwhoami(bob.dn, bob.password);
    expect(unlocked.ok, unlocked.output).toBe(true);
  });

  it('still offers the reset: Alice chooses "I forgot my password" and her new password binds', async () => {
    const alice = f.users.alice;
    const secret = await registerTotp(suite.server.hybrid, alice.mail, alice.password);
    const { page, portal } = await newPortal();
    await passGate(portal, alice.mail, secret);
    await portal.waitForChoiceStep();
    await portal.choose('reset');
    await portal.waitForPasswordStep();
    const password = 'Harbor-7c1d-Kite9!';
    await portal.typeNewPassword(password);
    await portal.waitForChecklist((rules) => rules.length > 0);
    await portal.submitNewPassword();
    await portal.waitForDone(30_000);
    expectCleanPage(page);
    expect((await ldapwhoami(alice.dn, password)).ok).toBe(true);
    expect((await ldapwhoami(alice.dn, alice.password)).ok).toBe(false);
  });
});

describe('account page: a directory user changes the password', () => {
  it("shows Carol's effective policy, the directory's history rule marked as checked by the directory", async () => {
    const carol = f.users.carol;
    const secret = await registerTotp(suite.server.hybrid, carol.mail, carol.password);
    const { page } = await suite.open();
    const account = new AccountPage(page);
    await account.open(suite.server.url);
    await account.signIn(carol.mail, carol.password);
    // The registration used the current code; the next one is accepted and not a replay.
    await account.verifyWithTotp(totpCodeAt(secret, new Date(Date.now() + 30_000)));
    await account.infoStep.waitFor({ state: 'visible' });
    // Before anything is typed: the policy from POST /password/check (the session selects it).
    const rules = await account.waitForChecklist((list) =>
      list.some((rule) => rule.state === 'directory'),
    );
    expect(rules.find((rule) => rule.state === 'directory')?.text).toMatch(/3/);
    // Typing keeps the directory's rules (the server cannot judge them) while judging the others.
    await account.typeNewPassword(carol.password, 'abc');
    const judged = await account.waitForChecklist((list) =>
      list.some((rule) => rule.state === 'not met'),
    );
    expect(judged.filter((rule) => rule.state === 'directory').length).toBeGreaterThan(0);
    await expectAccessible(page);
    expectCleanPage(page);
  });
});

describe('admin center: on-premises integration with a real agent', () => {
  it('shows the connected agent, its directory and the last sync, writeback ready', async () => {
    const upn = 'it.admin@contoso.com';
    const password = 'Granite-Owl-6142!';
    const created = await apiCall(
      suite.server.url,
      'POST',
      '/admin/users',
      { token: suite.server.adminToken },
      {
        userPrincipalName: upn,
        displayName: 'IT Admin',
        password,
        email: 'it.admin@example.org',
        roles: ['globalAdministrator'],
      },
    );
    expect(created.status).toBe(201);
    // Two methods (the email above and an authenticator app), as the administrator policy wants.
    const { cookie } = await apiSignIn(suite.server.url, upn, password);
    const start = await apiCall(suite.server.url, 'POST', '/me/methods/totp', { cookie });
    const { secret } = start.body as { secret: string };
    const verified = await apiCall(
      suite.server.url,
      'POST',
      '/me/methods/totp/verify',
      { cookie },
      { code: totpCodeAt(secret, new Date()) },
    );
    expect(verified.status).toBe(200);

    const { page } = await suite.open();
    const admin = new AdminPage(page);
    await admin.open(suite.server.url, '#/password-reset/on-premises');
    await admin.signIn(upn, password, () => totpCodeAt(secret, new Date(Date.now() + 30_000)));
    await admin.waitForSection('On-premises integration');
    await expect
      .poll(() => admin.section.textContent(), { timeout: 15_000 })
      .toContain('Your on-premises writeback client is up and running.');
    const text = (await admin.section.textContent()) ?? '';
    expect(text).toContain('Connected');
    expect(text).toMatch(/openldap/i);
    await expectAccessible(page);
    await screenshot(page, 'admin-on-premises-agent');
    expectCleanPage(page, [401]); // the session check before signing in
  });
});
