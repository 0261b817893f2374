/**
 * Page object for the admin center (web/admin): sign-in (password, then an authenticator code),
 * the nav with its sections, the policy forms, users, audit logs and Usage & insights. Controls
 * are found by role and accessible name, so the tests also check that each one is labelled.
 */
import type { Locator } from 'playwright-core';
import { BasePage } from './base-page.js';

export type SectionName =
  | 'Properties'
  | 'Authentication methods'
  | 'Registration'
  | 'Notifications'
  | 'Customization'
  | 'On-premises integration'
  | 'Administrator policy'
  | 'Users'
  | 'Audit logs'
  | 'Usage & insights';

/** What `rows()` reads of a <tr> in the page (this file is compiled without the DOM types). */
interface RowLike {
  readonly children: ArrayLike<{ readonly textContent: string | null }>;
}

export class AdminPage extends BasePage {
  get signInView(): Locator {
    return this.region('Sign in to the admin center');
  }
  get secondStepView(): Locator {
    return this.region("Confirm it's you");
  }
  /** Refused: no admin role, or not yet held to the administrator policy (ADR 0012). */
  get forbiddenView(): Locator {
    return this.page.getByRole('region', {
      name: /^(You need an administrator role|Register two verification methods first|Sign in again)$/,
    });
  }
  get nav(): Locator {
    return this.page.getByRole('navigation', { name: 'Admin center' });
  }
  /** The current section: a region named by its h1. */
  get section(): Locator {
    return this.page.locator('#view-app');
  }
  get sectionHeading(): Locator {
    return this.section.getByRole('heading', { level: 1 });
  }
  /** The header line with the signed-in admin's name and roles. */
  get who(): Locator {
    return this.page.getByRole('banner');
  }

  async open(baseUrl: string, hash = ''): Promise<void> {
    await this.page.goto(`${baseUrl}/admin${hash}`);
  }

  /**
   * Password, then the authenticator app code from `totpCode()` (users with code methods are
   * asked for a second step; without `totpCode` none is expected).
   */
  async signIn(userId: string, password: string, totpCode?: () => string): Promise<void> {
    await this.signInView.getByLabel('User ID').fill(userId);
    await this.signInView.getByLabel('Password').fill(password);
    await this.signInView.getByRole('button', { name: 'Sign in' }).click();
    if (totpCode === undefined) return;
    await this.secondStepView.waitFor({ state: 'visible' });
    await this.secondStepView.getByRole('radio', { name: /authenticator app/i }).check();
    await this.secondStepView.getByLabel('Code', { exact: true }).fill(totpCode());
    await this.secondStepView.getByRole('button', { name: 'Verify' }).click();
  }

  /** Signed in: the section area is shown (the nav may be folded behind Menu on a phone). */
  async waitForApp(): Promise<void> {
    await this.section.waitFor({ state: 'visible' });
  }

  /** Follows the nav link and waits for the section's heading. */
  async goTo(name: SectionName): Promise<void> {
    await this.nav.getByRole('link', { name, exact: true }).click();
    await this.waitForSection(name);
  }

  async waitForSection(name: string): Promise<void> {
    await this.sectionHeading.filter({ hasText: name }).waitFor({ state: 'visible' });
    // The section's content replaces the "Loading…" line once its data arrived.
    await this.section.getByText('Loading…').waitFor({ state: 'detached' });
  }

  /** The link marked aria-current="page" in the nav. */
  async currentNavItem(): Promise<string> {
    return ((await this.nav.locator('a[aria-current="page"]').textContent()) ?? '').trim();
  }

  /** The policy form's status line (role=status inside the section). */
  get formStatus(): Locator {
    return this.section.getByRole('status').first();
  }

  async save(): Promise<void> {
    await this.section.getByRole('button', { name: 'Save' }).click();
  }

  /** Saves and waits for the "Saved" (or an error) in the form's status. */
  async saveAndWait(timeoutMs = 10_000): Promise<string> {
    await this.save();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = ((await this.formStatus.textContent()) ?? '').replace(/\s+/g, ' ').trim();
      if (text !== '' && text !== 'Saving…') return text;
      if (Date.now() > deadline) throw new Error('the form never reported the save');
      await this.page.waitForTimeout(50);
    }
  }

  /** A table's body rows as arrays of cell texts (read in one round trip). */
  async rows(table: Locator): Promise<string[][]> {
    return table
      .locator('tbody tr')
      .evaluateAll((rows: unknown[]) =>
        (rows as RowLike[]).map((row) =>
          Array.from(row.children).map((cell) =>
            (cell.textContent ?? '').replace(/\s+/g, ' ').trim(),
          ),
        ),
      );
  }

  table(caption: string | RegExp): Locator {
    return this.section.getByRole('table', { name: caption });
  }
}
