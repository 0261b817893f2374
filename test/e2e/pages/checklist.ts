/**
 * The live password checklist (web/shared/checklist.ts) as a user reads it, shared by the portal
 * and account page objects: each rule's text and whether it is shown met, not met, or checked by
 * the directory.
 */
import type { Locator, Page } from 'playwright-core';

/** As the pages word it; 'pending' before the server has judged the rule. */
export type RuleState = 'met' | 'not met' | 'directory' | 'pending';

export interface ChecklistRule {
  readonly text: string;
  readonly state: RuleState;
}

export async function readChecklist(list: Locator): Promise<ChecklistRule[]> {
  const rules: ChecklistRule[] = [];
  for (const item of await list.getByRole('listitem').all()) {
    const text = ((await item.textContent()) ?? '').replace(/\s+/g, ' ').trim();
    rules.push({ text, state: ruleState(text) });
  }
  return rules;
}

/** Polls `read` until `predicate` holds; throws with the last list when it never does. */
export async function waitForChecklist(
  page: Page,
  read: () => Promise<ChecklistRule[]>,
  predicate: (rules: ChecklistRule[]) => boolean,
  timeoutMs: number,
): Promise<ChecklistRule[]> {
  const deadline = Date.now() + timeoutMs;
  let rules = await read();
  while (!predicate(rules)) {
    if (Date.now() > deadline) throw new Error(`checklist never matched: ${JSON.stringify(rules)}`);
    await page.waitForTimeout(100);
    rules = await read();
  }
  return rules;
}

function ruleState(text: string): RuleState {
  const lower = text.toLowerCase();
  if (lower.includes('checked by your directory')) return 'directory';
  if (/\bnot met\b/.test(lower)) return 'not met';
  if (/\bmet\b/.test(lower)) return 'met';
  return 'pending';
}
