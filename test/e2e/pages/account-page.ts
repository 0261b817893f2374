/**
 * Page object for the account page (web/account, `/account`): sign-in (+ second step), the
 * registration interrupt, re-confirmation, and "Security info" (methods, add, remove, change
 * password, sign out). Controls are found by role and accessible name, so the tests also check
 * that each one is labelled.
 */
import type { Locator } from 'playwright-core';
import { EmployeePage } from './base-page.js';

/** The "Add a method" choices as the page words them (web/account/i18n.ts). */
export type AddableMethod =
  'Authenticator app' | 'Email' | 'Mobile phone' | 'Office phone' | 'Security questions';

export interface ListedMethod {
  /** "Authenticator app", "Email", … */
  readonly name: string;
  /** What the server shows of it (masked address, label, …). */
  readonly display: string;
}

export class AccountPage extends EmployeePage {
  get signInStep(): Locator {
    return this.region('Sign in');
  }
  get secondStep(): Locator {
    return this.region('Verify your identity');
  }
  get registerStep(): Locator {
    return this.region('More information required');
  }
  get reconfirmStep(): Locator {
    return this.region('Is your security info still right?');
  }
  get infoStep(): Locator {
    return this.region('Security info');
  }
  get signedOutStep(): Locator {
    return this.region('You have signed out');
  }
  /** Where "Add a method" currently is: the interrupt or the security info page. */
  private async addArea(): Promise<Locator> {
    return (await this.registerStep.isVisible()) ? this.registerStep : this.infoStep;
  }

  async open(baseUrl: string, query = ''): Promise<void> {
    await this.page.goto(`${baseUrl}/account${query}`);
    await this.page
      .getByRole('heading', { level: 1 })
      .and(this.page.locator(':visible'))
      .first()
      .waitFor({ state: 'visible' });
  }

  async signIn(userId: string, password: string): Promise<void> {
    await this.signInStep.getByLabel('User ID').fill(userId);
    await this.signInStep.getByLabel('Password', { exact: true }).fill(password);
    await this.signInStep.getByRole('button', { name: 'Sign in' }).click();
  }

  /** Second step: the authenticator app's code. */
  async verifyWithTotp(code: string): Promise<void> {
    await this.secondStep.getByRole('radio', { name: /authenticator app/i }).check();
    await this.secondStep.getByLabel('Code', { exact: true }).fill(code);
    await this.secondStep.getByRole('button', { name: 'Verify' }).click();
  }

  /** Second step: asks for an emailed code (the caller reads it from the outbox). */
  async requestEmailCode(): Promise<void> {
    await this.requestSecondStepCode(/email me a code/i);
  }

  /** Second step: asks for a texted code (the caller reads it from the outbox). */
  async requestTextedCode(): Promise<void> {
    await this.requestSecondStepCode(/text a code/i);
  }

  /** The second step's choices as the page words them. */
  async secondStepChoices(): Promise<string[]> {
    await this.secondStep.getByRole('radio').first().waitFor({ state: 'visible' });
    const labels = await this.secondStep.locator('label').allTextContents();
    return labels.map((text) => text.trim());
  }

  private async requestSecondStepCode(choice: RegExp): Promise<void> {
    await this.secondStep.getByRole('radio', { name: choice }).check();
    await this.secondStep.getByRole('button', { name: 'Send code' }).click();
    await this.secondStep.getByLabel('Code', { exact: true }).waitFor({ state: 'visible' });
  }

  async enterSecondStepCode(code: string): Promise<void> {
    await this.secondStep.getByLabel('Code', { exact: true }).fill(code);
    await this.secondStep.getByRole('button', { name: 'Verify' }).click();
  }

  /** "3 of 2 required methods registered" as the interrupt shows it. */
  async registerProgress(): Promise<string> {
    return (
      (await this.registerStep.getByText(/required methods registered/).textContent()) ?? ''
    ).trim();
  }

  /** What "Add a method" offers (the policy's allowed methods only). */
  async addChoices(): Promise<string[]> {
    const area = await this.addArea();
    const options = await area.getByLabel('Method', { exact: true }).locator('option').all();
    return Promise.all(options.map(async (o) => ((await o.textContent()) ?? '').trim()));
  }

  /** Picks a method in "Add a method" and presses Add. */
  async startAdding(method: AddableMethod): Promise<void> {
    const area = await this.addArea();
    await area.getByLabel('Method', { exact: true }).selectOption({ label: method });
    await area.getByRole('button', { name: 'Add', exact: true }).click();
  }

  /** The authenticator form: its QR code (an <img>) and the key shown for manual entry. */
  async totpSetup(): Promise<{ qr: Locator; secret: string }> {
    const form = this.page.getByRole('form', { name: 'Authenticator app' });
    const qr = form.getByRole('img', { name: 'QR code for your authenticator app' });
    await qr.waitFor({ state: 'visible' });
    const secret = ((await form.locator('code').textContent()) ?? '').trim();
    return { qr, secret };
  }

  async confirmTotp(code: string): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Authenticator app' });
    await form.getByLabel('Code', { exact: true }).fill(code);
    await form.getByRole('button', { name: 'Verify' }).click();
  }

  /** Email: types the address and sends the code; waits for the code field. */
  async sendEmailCode(address: string): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Email' });
    await form.getByLabel('Email address').fill(address);
    await form.getByRole('button', { name: 'Send code' }).click();
    await form.getByLabel('Code', { exact: true }).waitFor({ state: 'visible' });
  }

  async confirmEmail(code: string): Promise<void> {
    const form = this.page.getByRole('form', { name: 'Email' });
    await form.getByLabel('Code', { exact: true }).fill(code);
    await form.getByRole('button', { name: 'Verify' }).click();
  }

  /** Phone: types the number and sends the code (text or call); waits for the code field. */
  async sendPhoneCode(number: string): Promise<void> {
    const form = this.page.getByRole('form', { name: /phone$/ });
    await form.getByLabel('Phone number').fill(number);
    await form.getByRole('button', { name: 'Send code' }).click();
    await form.getByLabel('Code', { exact: true }).waitFor({ state: 'visible' });
  }

  async confirmPhone(code: string): Promise<void> {
    const form = this.page.getByRole('form', { name: /phone$/ });
    await form.getByLabel('Code', { exact: true }).fill(code);
    await form.getByRole('button', { name: 'Verify' }).click();
  }

  /**
   * Security questions: chooses the first `answers.length` questions offered (distinct) and types
   * the answers; answers the chosen question texts.
   */
  async registerQuestions(answers: readonly string[]): Promise<string[]> {
    const form = this.page.getByRole('form', { name: 'Security questions' });
    await form.getByLabel('Question 1', { exact: true }).waitFor({ state: 'visible' });
    const chosen: string[] = [];
    for (const [index, answer] of answers.entries()) {
      const n = String(index + 1);
      const select = form.getByLabel(`Question ${n}`, { exact: true });
      // Option 0 is "Choose a question"; each row takes the next one, so all are distinct.
      await select.selectOption({ index: index + 1 });
      chosen.push(((await select.locator('option:checked').textContent()) ?? '').trim());
      await form.getByLabel(`Answer ${n}`, { exact: true }).fill(answer);
    }
    await form.getByRole('button', { name: 'Save' }).click();
    return chosen;
  }

  /** The methods listed on the security info page. */
  async methods(): Promise<ListedMethod[]> {
    const list = this.infoStep.getByRole('list', { name: 'Your methods' });
    const result: ListedMethod[] = [];
    for (const item of await list.getByRole('listitem').all()) {
      const name = ((await item.locator('strong').textContent()) ?? '').trim();
      const full = ((await item.textContent()) ?? '').replace(/\s+/g, ' ').trim();
      result.push({
        name,
        display: full
          .replace(name, '')
          .replace(/Remove$/, '')
          .trim(),
      });
    }
    return result;
  }

  /** Waits until the method list satisfies `predicate`. */
  async waitForMethods(
    predicate: (methods: ListedMethod[]) => boolean,
    timeoutMs = 10_000,
  ): Promise<ListedMethod[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await this.infoStep.isVisible()) {
        const methods = await this.methods();
        if (predicate(methods)) return methods;
        if (Date.now() > deadline)
          throw new Error(`method list never matched: ${JSON.stringify(methods)}`);
      } else if (Date.now() > deadline) {
        throw new Error('the security info page is not on screen');
      }
      await this.page.waitForTimeout(100);
    }
  }

  /** Presses "Remove <method>", and returns the confirmation dialog (still open). */
  async askToRemove(method: string): Promise<Locator> {
    await this.infoStep.getByRole('button', { name: `Remove ${method}` }).click();
    const dialog = this.page.getByRole('dialog', { name: 'Remove this method?' });
    await dialog.waitFor({ state: 'visible' });
    return dialog;
  }

  async typeNewPassword(current: string, password: string, confirmation = password): Promise<void> {
    const form = this.infoStep.getByRole('form', { name: 'Change password' });
    await form.getByLabel('Current password', { exact: true }).fill(current);
    await form.getByLabel('New password', { exact: true }).fill(password);
    await form.getByLabel('Confirm new password', { exact: true }).fill(confirmation);
  }

  protected get checklistList(): Locator {
    return this.infoStep.getByRole('list', { name: 'Password requirements' });
  }

  async submitNewPassword(): Promise<void> {
    await this.infoStep
      .getByRole('form', { name: 'Change password' })
      .getByRole('button', { name: 'Change password' })
      .click();
  }

  async signOut(everywhere = false): Promise<void> {
    await this.infoStep
      .getByRole('button', { name: everywhere ? 'Sign out everywhere' : 'Sign out', exact: true })
      .click();
    await this.signedOutStep.waitFor({ state: 'visible' });
  }
}
