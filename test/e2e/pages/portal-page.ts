/**
 * Page object for the self-service portal's reset flow (web/portal): user id (+ the automatic
 * proof-of-work CAPTCHA) → method → code → new password with its live checklist → done.
 * Everything is found by role and accessible name, never by CSS class, so the tests also check
 * that each control is labelled.
 */
import type { Locator } from 'playwright-core';
import { EmployeePage } from './base-page.js';

export type { ChecklistRule, RuleState } from './checklist.js';

export type PortalMethod = 'email' | 'totp' | 'securityQuestions' | 'sms' | 'voice' | 'officePhone';

/** The English labels the portal gives each method (web/portal/i18n.ts). */
const METHOD_LABELS: Record<PortalMethod, RegExp> = {
  email: /email me a code/i,
  totp: /authenticator app/i,
  securityQuestions: /security questions/i,
  sms: /text a code/i,
  voice: /call my mobile/i,
  officePhone: /call my office/i,
};

export class PortalPage extends EmployeePage {
  // Steps: each is a <section aria-labelledby=…>, i.e. a named region.
  get startStep(): Locator {
    return this.region("Can't access your account?");
  }
  get methodStep(): Locator {
    return this.region('Verify your identity');
  }
  get passwordStep(): Locator {
    return this.region('Choose a new password');
  }
  get doneStep(): Locator {
    return this.region('Your password has been reset');
  }
  /** After the gates, when unlock is allowed: reset, or unlock only. */
  get choiceStep(): Locator {
    return this.region('What would you like to do?');
  }
  get unlockedStep(): Locator {
    return this.region('Your account has been unlocked');
  }

  async open(baseUrl: string): Promise<void> {
    await this.page.goto(`${baseUrl}/`);
    await this.startStep.getByLabel('User ID').waitFor({ state: 'visible' });
  }

  /** Types the user id and presses Next; the CAPTCHA then solves itself. */
  async submitUserId(userId: string): Promise<void> {
    await this.startStep.getByLabel('User ID').fill(userId);
    await this.startStep.getByRole('button', { name: 'Next' }).click();
  }

  /** Waits until the proof-of-work is solved and the method step is on screen. */
  async waitForMethodStep(timeoutMs = 60_000): Promise<void> {
    await this.methodStep.waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** The method choices offered (their accessible names). */
  async methodChoices(): Promise<string[]> {
    const group = this.methodStep.getByRole('group', { name: 'Choose a verification method' });
    const radios = group.getByRole('radio');
    const names: string[] = [];
    for (const radio of await radios.all()) {
      const id = await radio.getAttribute('id');
      const label = id ? this.page.locator(`label[for="${id}"]`) : undefined;
      names.push(
        ((await label?.textContent()) ?? (await radio.getAttribute('aria-label')) ?? '').trim(),
      );
    }
    return names;
  }

  async chooseMethod(method: PortalMethod): Promise<void> {
    await this.methodStep.getByRole('radio', { name: METHOD_LABELS[method] }).check();
  }

  /** Email/SMS: asks the server to send the code, waits for the "sent" notice. */
  async sendCode(): Promise<void> {
    await this.methodStep.getByRole('button', { name: 'Send code' }).click();
    await this.methodStep.getByLabel('Code', { exact: true }).waitFor({ state: 'visible' });
  }

  /** Sends the code again ("Resend code", shown once a code was sent). */
  async resendCode(): Promise<void> {
    await this.methodStep.getByRole('button', { name: 'Resend code' }).click();
  }

  /** "Use a different method": back to the list with nothing chosen. */
  async useDifferentMethod(): Promise<void> {
    await this.methodStep.getByRole('button', { name: 'Use a different method' }).click();
  }

  /** The "Step n of m" line of the method step. */
  async gateProgress(): Promise<string> {
    return ((await this.methodStep.getByText(/^Step \d+ of \d+$/).textContent()) ?? '').trim();
  }

  /**
   * Security questions: waits for the questions, answers each from `answers` (question text →
   * answer) and presses Verify; answers the question texts shown.
   */
  async answerQuestions(answers: ReadonlyMap<string, string>): Promise<string[]> {
    const inputs = this.methodStep.getByRole('textbox');
    await inputs.first().waitFor({ state: 'visible' });
    const shown: string[] = [];
    for (const input of await inputs.all()) {
      const id = await input.getAttribute('id');
      const text = (
        (await this.page.locator(`label[for="${id ?? ''}"]`).textContent()) ?? ''
      ).trim();
      shown.push(text);
      await input.fill(answers.get(text) ?? 'unknown');
    }
    await this.methodStep.getByRole('button', { name: 'Verify' }).click();
    return shown;
  }

  async waitForChoiceStep(timeoutMs = 15_000): Promise<void> {
    await this.choiceStep.waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** Picks "I forgot my password" or "I know my password but can't sign in" and presses Next. */
  async choose(what: 'reset' | 'unlock'): Promise<void> {
    const name = what === 'reset' ? /I forgot my password/ : /I know my password/;
    await this.choiceStep.getByRole('radio', { name }).check();
    await this.choiceStep.getByRole('button', { name: 'Next' }).click();
  }

  async waitForUnlocked(timeoutMs = 15_000): Promise<void> {
    await this.unlockedStep.waitFor({ state: 'visible', timeout: timeoutMs });
  }

  async enterCode(code: string): Promise<void> {
    await this.methodStep.getByLabel('Code', { exact: true }).fill(code);
    await this.methodStep.getByRole('button', { name: 'Verify' }).click();
  }

  async waitForPasswordStep(timeoutMs = 15_000): Promise<void> {
    await this.passwordStep.waitFor({ state: 'visible', timeout: timeoutMs });
  }

  /** Types the new password (and its confirmation) without submitting. */
  async typeNewPassword(password: string, confirmation = password): Promise<void> {
    await this.passwordStep.getByLabel('New password', { exact: true }).fill(password);
    await this.passwordStep.getByLabel('Confirm new password', { exact: true }).fill(confirmation);
  }

  protected get checklistList(): Locator {
    return this.passwordStep.getByRole('list');
  }

  async submitNewPassword(): Promise<void> {
    await this.passwordStep.getByRole('button', { name: 'Reset password' }).click();
  }

  async waitForDone(timeoutMs = 15_000): Promise<void> {
    await this.doneStep.waitFor({ state: 'visible', timeout: timeoutMs });
  }
}
