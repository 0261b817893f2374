/**
 * What every page object shares: named regions (each step or view is a <section aria-labelledby>),
 * the live status line (role=status) and, on the employee pages, the new-password checklist.
 */
import type { Locator, Page } from 'playwright-core';
import { readChecklist, waitForChecklist, type ChecklistRule } from './checklist.js';

export abstract class BasePage {
  constructor(readonly page: Page) {}

  /** A <section aria-labelledby=…> by its heading's text. */
  protected region(name: string): Locator {
    return this.page.getByRole('region', { name });
  }

  /** The live status line (role=status): progress, errors and the support code. */
  get status(): Locator {
    return this.page.getByRole('status');
  }

  /** The text of the status line (errors, progress, "Support code: …"). */
  async statusText(): Promise<string> {
    return ((await this.status.textContent()) ?? '').replace(/\s+/g, ' ').trim();
  }

  /** The support code shown with an error, if any. */
  async supportCode(): Promise<string | null> {
    const match = /Support code:\s*(\S+)/i.exec(await this.statusText());
    return match?.[1] ?? null;
  }

  /** Waits until the status line matches `pattern`. */
  async waitForStatus(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await this.statusText();
      if (pattern.test(text)) return text;
      if (Date.now() > deadline)
        throw new Error(`status never matched ${String(pattern)}: ${text}`);
      await this.page.waitForTimeout(100);
    }
  }
}

/** The portal and the account page: both have the new-password form with its live checklist. */
export abstract class EmployeePage extends BasePage {
  /** The list of password rules (web/shared/checklist.ts). */
  protected abstract get checklistList(): Locator;

  /** The live checklist: each rule's text and whether the page shows it met. */
  async checklist(): Promise<ChecklistRule[]> {
    return readChecklist(this.checklistList);
  }

  /**
   * Waits until the checklist (which the page updates as the user types, after asking the
   * server) satisfies `predicate`, and returns it.
   */
  async waitForChecklist(
    predicate: (rules: ChecklistRule[]) => boolean,
    timeoutMs = 10_000,
  ): Promise<ChecklistRule[]> {
    return waitForChecklist(this.page, () => this.checklist(), predicate, timeoutMs);
  }
}
