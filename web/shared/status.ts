/**
 * The live status region of an employee page (role=status, aria-live=polite): progress notices,
 * errors with their support code (the correlation id), and the helpdesk link with every error.
 * Expects `#status`, `#status-message`, `#support-code`, `#helpdesk` and `#helpdesk-link`.
 */
import { ApiError } from './api.js';
import { byId } from './dom.js';
import { format } from './i18n.js';

export interface StatusRegion {
  /** A neutral notice ('' clears the region). */
  readonly announce: (message: string) => void;
  /** An error: its message, the support code when the server gave one, the helpdesk link. */
  readonly showError: (error: unknown) => void;
}

export function createStatus(messages: { readonly supportCode: string }): StatusRegion {
  const box = byId('status');
  const message = byId('status-message');
  const supportCode = byId('support-code');
  const helpdesk = byId('helpdesk');
  const helpdeskLink = byId<HTMLAnchorElement>('helpdesk-link');
  return {
    announce: (text) => {
      box.classList.remove('error');
      message.textContent = text;
      supportCode.hidden = true;
      supportCode.textContent = '';
      helpdesk.hidden = true;
    },
    showError: (error) => {
      box.classList.add('error');
      message.textContent = error instanceof Error ? error.message : String(error);
      const code = error instanceof ApiError ? error.correlationId : undefined;
      supportCode.textContent = code === undefined ? '' : format(messages.supportCode, { code });
      supportCode.hidden = code === undefined;
      helpdesk.hidden = helpdeskLink.textContent === '';
    },
  };
}
