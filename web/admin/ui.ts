/**
 * Admin-center DOM helpers on top of web/shared/dom.ts and web/shared/table.ts: status regions,
 * labelled fields with their validation messages, dates. CSP-safe: elements and text nodes only, no innerHTML,
 * no style attributes.
 */
import { ApiError } from '../shared/api.js';
import { attrs, el, uid } from '../shared/dom.js';
import { format, type Messages } from './i18n.js';

/** A polite live region with a message line and a support-code line (correlation id). */
export interface Status {
  readonly element: HTMLElement;
  info(message: string): void;
  ok(message: string): void;
  /** An error the page found itself (no support code). */
  fail(message: string): void;
  error(error: unknown): void;
  clear(): void;
}

/** Words for an API error: 403 gets the role message, then the server's own message. */
export function errorMessage(t: Messages, error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 403 && error.code === 'SSPR_2002')
      return `${t.forbiddenWrite} (${error.code})`;
    return `${error.message} (${error.code})`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** Wires a status box made of `box` > message + support code paragraphs. */
export function statusFor(
  t: Messages,
  box: HTMLElement,
  message: HTMLElement,
  support: HTMLElement,
): Status {
  const set = (kind: 'info' | 'ok' | 'error', text: string, code?: string): void => {
    box.classList.remove('error', 'ok');
    if (kind !== 'info') box.classList.add(kind);
    message.textContent = text;
    support.hidden = code === undefined;
    support.textContent = code === undefined ? '' : format(t.supportCode, { code });
  };
  return {
    element: box,
    info: (text) => {
      set('info', text);
    },
    ok: (text) => {
      set('ok', text);
    },
    fail: (text) => {
      set('error', text);
    },
    error: (error) => {
      set(
        'error',
        errorMessage(t, error),
        error instanceof ApiError ? error.correlationId : undefined,
      );
    },
    clear: () => {
      set('info', '');
    },
  };
}

/** A new status region (role=status) for one form. */
export function createStatus(t: Messages): Status {
  const message = el('p');
  const support = el('p', { hidden: true });
  const box = attrs(el('div', { className: 'status' }, message, support), {
    role: 'status',
    'aria-live': 'polite',
    'aria-atomic': 'true',
  });
  return statusFor(t, box, message, support);
}

/** A labelled control with help text and a validation message, wired with aria-describedby. */
export interface Field {
  readonly wrapper: HTMLElement;
  readonly control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;
  setError: (message: string | null) => void;
}

export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  help?: string,
): Field {
  if (control.id === '') control.id = uid('f');
  const error = el('p', { className: 'field-error', id: `${control.id}-error`, hidden: true });
  const described = [error.id];
  const parts: Node[] = [];
  const isCheck =
    control instanceof HTMLInputElement &&
    (control.type === 'checkbox' || control.type === 'radio');
  if (isCheck) {
    parts.push(el('label', { htmlFor: control.id, className: 'check' }, control, ' ', label));
  } else {
    parts.push(el('label', { htmlFor: control.id }, label), control);
  }
  if (help !== undefined) {
    const helpId = `${control.id}-help`;
    parts.push(el('p', { className: 'help', id: helpId }, help));
    described.unshift(helpId);
  }
  parts.push(error);
  control.setAttribute('aria-describedby', described.join(' '));
  return {
    wrapper: el('div', { className: 'field' }, ...parts),
    control,
    setError: (message) => {
      error.hidden = message === null;
      error.textContent = message ?? '';
      if (message === null) control.removeAttribute('aria-invalid');
      else control.setAttribute('aria-invalid', 'true');
    },
  };
}

/** A checkbox shown as an on/off switch (role=switch). */
export function switchInput(checked: boolean): HTMLInputElement {
  const input = el('input', { type: 'checkbox', checked });
  input.setAttribute('role', 'switch');
  return input;
}

/** A radio group in a fieldset with a legend; returns the fieldset and a getter. */
export function radioGroup<V extends string>(
  legend: string,
  name: string,
  options: readonly { value: V; label: string }[],
  selected: V,
): {
  fieldset: HTMLFieldSetElement;
  value: () => V;
  inputs: HTMLInputElement[];
  setError: (m: string | null) => void;
} {
  const inputs: HTMLInputElement[] = [];
  const error = el('p', { className: 'field-error', id: uid('err'), hidden: true });
  const fieldset = el('fieldset', {}, el('legend', {}, legend));
  const choices = el('div', { className: 'choices' });
  for (const option of options) {
    const input = el('input', {
      type: 'radio',
      name,
      value: option.value,
      id: uid(name),
      checked: option.value === selected,
    });
    input.setAttribute('aria-describedby', error.id);
    inputs.push(input);
    choices.append(el('label', { htmlFor: input.id }, input, ' ', option.label));
  }
  fieldset.append(choices, error);
  return {
    fieldset,
    inputs,
    value: () => (inputs.find((i) => i.checked)?.value ?? selected) as V,
    setError: (message) => {
      error.hidden = message === null;
      error.textContent = message ?? '';
    },
  };
}

/** "2026-11-22 03:14:07 UTC" (admins compare times across sites: always UTC). */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined || iso === '') return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** yes / no in the page's language. */
export function yesNo(t: Messages, value: boolean): string {
  return value ? t.yes : t.no;
}
