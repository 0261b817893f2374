/**
 * The second sign-in step shared by the account page and the admin center: a radio per method the
 * server offers (POST /auth/sign-in → secondFactorMethods), "Send code" for the methods that send
 * one (email, text message: POST /auth/sign-in/challenge), then the code (POST /auth/sign-in/verify).
 * Expects in the page: `#second-form`, `#second-methods`, `#second-code` (the code field's box,
 * hidden), `#second-code-input`, `#second-send` and `#second-verify` (both hidden).
 */
import { api } from './api.js';
import { byId, el, setBusy } from './dom.js';

/** What the server may offer for the second step (src/server/routes/auth.ts). */
export type SecondMethod = 'totp' | 'email' | 'sms';

/** The methods whose code the server sends on request. */
const SENDS_CODE: ReadonlySet<string> = new Set<SecondMethod>(['email', 'sms']);

export interface SecondStepLabels {
  readonly working: string;
  readonly sendCode: string;
  readonly resendCode: string;
  readonly codeSent: string;
  readonly codeSent_sms: string;
  readonly second_totp: string;
  readonly second_email: string;
  readonly second_sms: string;
}

export interface SecondStepOptions<A> {
  readonly labels: SecondStepLabels;
  readonly announce: (message: string) => void;
  readonly showError: (error: unknown) => void;
  /** Runs with the verify answer once the code was accepted (errors go to `showError`). */
  readonly onVerified: (answer: A) => Promise<void>;
}

export interface SecondStep {
  /** Lists `methods` (nothing chosen yet); the caller then shows the step. */
  enter(methods: readonly { readonly method: string; readonly hint: string }[]): void;
}

export function createSecondStep<A>(options: SecondStepOptions<A>): SecondStep {
  const { labels: t, announce, showError } = options;
  const form = byId<HTMLFormElement>('second-form');
  const list = byId('second-methods');
  const codeBox = byId('second-code');
  const codeInput = byId<HTMLInputElement>('second-code-input');
  const send = byId<HTMLButtonElement>('second-send');
  const verify = byId<HTMLButtonElement>('second-verify');
  let chosen: string | undefined;

  function label(method: string): string {
    const key = `second_${method}`;
    return key in t ? t[key as keyof SecondStepLabels] : method;
  }

  function choose(method: string): void {
    chosen = method;
    const sends = SENDS_CODE.has(method);
    send.hidden = !sends;
    send.textContent = t.sendCode;
    send.classList.remove('secondary');
    codeBox.hidden = sends;
    verify.hidden = sends;
    codeInput.value = '';
  }

  send.addEventListener('click', () => {
    const method = chosen;
    if (method === undefined) return;
    setBusy(form, true);
    announce(t.working);
    void (async () => {
      try {
        await api('POST', '/auth/sign-in/challenge', { method });
        announce(method === 'sms' ? t.codeSent_sms : t.codeSent);
        codeBox.hidden = false;
        verify.hidden = false;
        send.textContent = t.resendCode;
        send.classList.add('secondary');
      } catch (error) {
        showError(error);
      } finally {
        setBusy(form, false);
        if (!codeBox.hidden) codeInput.focus();
      }
    })();
  });

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const method = chosen;
    if (method === undefined || verify.hidden) return;
    const code = codeInput.value.trim();
    if (code.length === 0) {
      codeInput.focus();
      return;
    }
    setBusy(form, true);
    announce(t.working);
    void (async () => {
      try {
        const answer = await api<A>('POST', '/auth/sign-in/verify', { method, code });
        codeInput.value = '';
        await options.onVerified(answer);
      } catch (error) {
        showError(error);
      } finally {
        setBusy(form, false);
      }
    })();
  });

  return {
    enter(methods) {
      list.replaceChildren();
      codeBox.hidden = true;
      send.hidden = true;
      verify.hidden = true;
      chosen = undefined;
      methods.forEach((m, index) => {
        const id = `second-${String(index)}`;
        const radio = el('input', { type: 'radio', name: 'second', id, value: m.method });
        radio.setAttribute('aria-describedby', `${id}-hint`);
        radio.addEventListener('change', () => {
          choose(m.method);
        });
        list.append(
          el('label', { htmlFor: id }, radio, ' ', label(m.method)),
          el('span', { className: 'hint', id: `${id}-hint` }, m.hint),
        );
      });
    },
  };
}
