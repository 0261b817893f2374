/**
 * The live password checklist shared by the reset portal and the account page: the policy's rules
 * as a list, each marked met / not met / checked by the directory, updated from
 * POST /password/check as the user types (debounced; a newer keystroke wins).
 */
import { api } from './api.js';
import { el } from './dom.js';

export interface RuleDescription {
  readonly id: string;
  readonly message: string;
  readonly checkedBy?: 'server' | 'directory';
}

export interface RuleResult {
  readonly id: string;
  readonly ok: boolean;
  readonly message: string;
}

export interface CheckAnswer {
  readonly ok: boolean;
  readonly rules: readonly RuleResult[];
  readonly policy: readonly RuleDescription[];
}

export interface ChecklistLabels {
  readonly ruleOk: string;
  readonly ruleFail: string;
  readonly ruleDirectory: string;
}

export interface Checklist {
  /** Shows the rules, none judged yet. */
  render(rules: readonly RuleDescription[]): void;
  /** Marks each rule met or not met (adding rules the list does not have yet). */
  apply(results: readonly RuleResult[]): void;
  /** Asks the server about `password` after a short pause (call on every input event). */
  schedule(password: string): void;
}

type Verdict = 'ok' | 'fail' | 'directory' | 'pending';

interface Item {
  readonly li: HTMLLIElement;
  readonly mark: HTMLSpanElement;
  readonly state: HTMLSpanElement;
  readonly text: HTMLSpanElement;
}

/**
 * `context` is what the server needs to pick the effective policy: `{flowId}` in a reset flow,
 * `{}` on the account page (the session cookie, sent with every same-origin request, selects the
 * signed-in user's policy); `initial()` the rules to show for an empty password.
 */
export function createChecklist(
  list: HTMLElement,
  labels: ChecklistLabels,
  context: () => { flowId?: string; userId?: string } | undefined,
  initial: () => readonly RuleDescription[],
): Checklist {
  const items = new Map<string, Item>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let sequence = 0;

  function add(rule: RuleDescription): void {
    const mark = el('span', { className: 'mark' });
    mark.setAttribute('aria-hidden', 'true');
    const state = el('span', { className: 'visually-hidden' });
    const text = el('span', {}, rule.message);
    const li = el('li', {}, mark, state, text);
    items.set(rule.id, { li, mark, state, text });
    list.append(li);
    set(rule.id, rule.checkedBy === 'directory' ? 'directory' : 'pending');
  }

  function set(id: string, verdict: Verdict, message?: string): void {
    const item = items.get(id);
    if (item === undefined) return;
    item.li.classList.remove('ok', 'fail', 'directory');
    if (verdict !== 'pending') item.li.classList.add(verdict);
    item.mark.textContent =
      verdict === 'ok' ? '✓' : verdict === 'fail' ? '✗' : verdict === 'directory' ? 'ⓘ' : '•';
    item.state.textContent =
      verdict === 'ok'
        ? `${labels.ruleOk}: `
        : verdict === 'fail'
          ? `${labels.ruleFail}: `
          : verdict === 'directory'
            ? `${labels.ruleDirectory}: `
            : '';
    if (message !== undefined) item.text.textContent = message;
  }

  const checklist: Checklist = {
    render(rules) {
      list.replaceChildren();
      items.clear();
      for (const rule of rules) add(rule);
    },
    apply(results) {
      for (const result of results) {
        if (!items.has(result.id)) add({ id: result.id, message: result.message });
        set(result.id, result.ok ? 'ok' : 'fail', result.message);
      }
    },
    schedule(password) {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => void check(password), 250);
    },
  };

  async function check(password: string): Promise<void> {
    const current = ++sequence;
    const where = context();
    if (where === undefined) return;
    if (password.length === 0) {
      checklist.render(initial());
      return;
    }
    try {
      const answer = await api<CheckAnswer>('POST', '/password/check', { password, ...where });
      if (current !== sequence) return; // a newer keystroke won
      // The server's effective policy for this user (directory rules marked as such) wins over
      // what was shown before: a signed-in user's own policy can differ from the first guess.
      if (answer.policy.some((rule) => !items.has(rule.id))) checklist.render(answer.policy);
      checklist.apply(answer.rules);
    } catch {
      // The live checklist is advisory; the submission itself reports the rules that failed.
    }
  }

  return checklist;
}
