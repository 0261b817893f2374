/**
 * The "new password + confirm" pair shared by the reset portal and the account page: the live
 * checklist as the user types, the mismatch note, and the rules a rejected password failed.
 * Expects `#new-password`, `#confirm-password`, `#mismatch` and `#rule-list` in the page.
 */
import { ApiError } from './api.js';
import {
  createChecklist,
  type Checklist,
  type ChecklistLabels,
  type RuleDescription,
  type RuleResult,
} from './checklist.js';
import { byId } from './dom.js';

export interface NewPasswordFields {
  readonly newPassword: HTMLInputElement;
  readonly confirmPassword: HTMLInputElement;
  readonly checklist: Checklist;
  /** True when the form may be sent: a new password typed and confirmed; else focuses the field. */
  ready(): boolean;
  /** Empties both fields and shows the policy's rules again. */
  clear(): void;
  /** Marks the rules a rejected password failed (an API error's `details.rules`). */
  showFailure(error: unknown): void;
}

export function createNewPasswordFields(
  labels: ChecklistLabels,
  context: Parameters<typeof createChecklist>[2],
  initial: () => readonly RuleDescription[],
): NewPasswordFields {
  const newPassword = byId<HTMLInputElement>('new-password');
  const confirmPassword = byId<HTMLInputElement>('confirm-password');
  const mismatch = byId('mismatch');
  const checklist = createChecklist(byId('rule-list'), labels, context, initial);

  newPassword.addEventListener('input', () => {
    checklist.schedule(newPassword.value);
  });

  function updateMismatch(): boolean {
    const differs = confirmPassword.value.length > 0 && confirmPassword.value !== newPassword.value;
    mismatch.hidden = !differs;
    confirmPassword.setAttribute('aria-invalid', String(differs));
    return differs;
  }
  confirmPassword.addEventListener('input', () => {
    updateMismatch();
  });

  return {
    newPassword,
    confirmPassword,
    checklist,
    ready() {
      if (newPassword.value.length === 0) {
        newPassword.focus();
        return false;
      }
      if (updateMismatch() || confirmPassword.value !== newPassword.value) {
        mismatch.hidden = false;
        confirmPassword.focus();
        return false;
      }
      return true;
    },
    clear() {
      newPassword.value = '';
      confirmPassword.value = '';
      checklist.render(initial());
    },
    showFailure(error) {
      const details =
        error instanceof ApiError
          ? (error.details as { rules?: RuleResult[] } | undefined)
          : undefined;
      if (details !== undefined && Array.isArray(details.rules)) checklist.apply(details.rules);
    },
  };
}
