/**
 * The employee portal's self-service password reset and account unlock. Talks only to the JSON
 * API (/api/v1). CSP-safe: no inline script or style, no style attributes; visibility by `hidden`
 * and classes; the organisation's accent colour is a CSS custom property set from here.
 */
import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey as webPbkdf2 } from 'altcha-lib/algorithms/web/pbkdf2';
import { deriveKey as webSha } from 'altcha-lib/algorithms/web/sha';
import { DICTIONARIES, format, type MessageKey } from './i18n.js';
import { api, ApiError, setNetworkErrorMessage } from '../shared/api.js';
import { brandPage } from '../shared/branding.js';
import type { RuleDescription } from '../shared/checklist.js';
import { byId, el, setBusy, translateStatic } from '../shared/dom.js';
import { pickLanguage } from '../shared/i18n.js';
import { createNewPasswordFields } from '../shared/new-password.js';
import { createStatus } from '../shared/status.js';

type MethodName =
  'email' | 'totp' | 'securityQuestions' | 'sms' | 'voice' | 'officePhone' | (string & {});

/** Methods whose gate is "send a code, then type it". */
const CODE_SENDING: readonly MethodName[] = ['email', 'sms', 'voice', 'officePhone'];

interface FlowView {
  readonly flowId: string;
  readonly state: string;
  readonly gatesRequired: number;
  readonly gatesPassed?: readonly MethodName[];
  readonly methods: readonly { readonly method: MethodName; readonly hint: string }[];
  readonly allowUnlock?: boolean;
  readonly supportCode?: string;
  readonly passwordPolicy?: readonly RuleDescription[];
}

interface ChallengeAnswer {
  readonly method: MethodName;
  readonly questions?: readonly { readonly questionId: string; readonly text: string }[];
}

const { lang, t } = pickLanguage(DICTIONARIES);
setNetworkErrorMessage(t.networkError);

// ---- status region, branding --------------------------------------------------------------------

const status = createStatus(t);
const startOver = byId<HTMLAnchorElement>('start-over');

function announce(message: string): void {
  status.announce(message);
}

function showError(error: unknown): void {
  status.showError(error);
  startOver.hidden = false;
}

brandPage(t);

// ---- steps --------------------------------------------------------------------------------------

type Step = 'start' | 'method' | 'choice' | 'password' | 'done' | 'unlocked';
const steps: Record<Step, string> = {
  start: 'start-heading',
  method: 'method-heading',
  choice: 'choice-heading',
  password: 'password-heading',
  done: 'done-heading',
  unlocked: 'unlocked-heading',
};

function showStep(step: Step): void {
  for (const name of Object.keys(steps) as Step[]) byId(`step-${name}`).hidden = name !== step;
  byId(steps[step]).focus();
}

// ---- translations of the static page -----------------------------------------------------------

document.documentElement.lang = lang;
translateStatic(t);
const langQuery = new URLSearchParams(location.search).get('lang');
if (langQuery !== null) {
  byId<HTMLAnchorElement>('account-link').href = `/account?lang=${encodeURIComponent(lang)}`;
  startOver.href = `/?lang=${encodeURIComponent(lang)}`;
}

// ---- step 1: user id + CAPTCHA -------------------------------------------------------------------

let flow: FlowView | undefined;

function toBase64(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Does what the ALTCHA widget does; the payload is what the server's Captcha.verify accepts. */
async function solveCaptcha(): Promise<string> {
  const challenge = await api<Challenge>('GET', '/sspr/captcha');
  const deriveKey = challenge.parameters.algorithm.startsWith('PBKDF2/') ? webPbkdf2 : webSha;
  const solution = await solveChallenge({ challenge, deriveKey, timeout: 60_000 });
  if (solution === null) throw new Error(t.captchaFailed);
  return toBase64(
    JSON.stringify({
      challenge: { parameters: challenge.parameters, signature: challenge.signature },
      solution,
    }),
  );
}

const startForm = byId<HTMLFormElement>('start-form');
startForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const userId = byId<HTMLInputElement>('user-id').value.trim();
  if (userId.length === 0) {
    byId('user-id').focus();
    return;
  }
  setBusy(startForm, true);
  announce(t.checkingRobot);
  void (async () => {
    try {
      const captcha = await solveCaptcha();
      announce(t.working);
      flow = await api<FlowView>('POST', '/sspr/flows', { userId, captcha });
      byId<HTMLInputElement>('username-echo').value = userId;
      announce('');
      enterMethodStep();
    } catch (error) {
      showError(error);
    } finally {
      setBusy(startForm, false);
    }
  })();
});

// ---- step 2: verification gates ------------------------------------------------------------------

const methodForm = byId<HTMLFormElement>('method-form');
const methodList = byId('method-list');
const methodDetail = byId('method-detail');
const sendCodeButton = byId<HTMLButtonElement>('send-code');
const verifyButton = byId<HTMLButtonElement>('verify-button');
const differentMethod = byId<HTMLButtonElement>('different-method');
let chosen: MethodName | undefined;
let questionIds: string[] = [];

function methodLabel(method: MethodName): string {
  const key = `method_${method}` as MessageKey;
  return key in t ? t[key] : method;
}

function codeSentMessage(method: MethodName): string {
  const key = `codeSent_${method}` as MessageKey;
  return key in t ? t[key] : t.codeSent;
}

function remainingMethods(view: FlowView): FlowView['methods'] {
  const passed = new Set(view.gatesPassed ?? []);
  return view.methods.filter((m) => !passed.has(m.method));
}

/** After the gates: the choice (reset or unlock only) when unlock is allowed, else the password. */
function afterGates(): void {
  announce('');
  if (flow?.allowUnlock === true) enterChoiceStep();
  else enterPasswordStep();
}

function enterMethodStep(): void {
  if (flow === undefined) return;
  if (flow.state === 'new_password') {
    afterGates();
    return;
  }
  const passed = flow.gatesPassed?.length ?? 0;
  byId('gate-progress').textContent = format(t.gateProgress, {
    n: passed + 1,
    m: flow.gatesRequired,
  });
  methodList.replaceChildren();
  resetMethodDetail();
  const methods = remainingMethods(flow);
  if (methods.length === 0) {
    showStep('method');
    showError(new ApiError(t.noMethods, 'NO_METHODS', flow.supportCode, undefined));
    return;
  }
  methods.forEach((m, index) => {
    const id = `method-${String(index)}`;
    const hintId = `${id}-hint`;
    const radio = el('input', { type: 'radio', name: 'method', id, value: m.method });
    radio.setAttribute('aria-describedby', hintId);
    radio.addEventListener('change', () => {
      chooseMethod(m.method);
    });
    methodList.append(
      el('label', { htmlFor: id }, radio, ' ', methodLabel(m.method)),
      el('span', { className: 'hint', id: hintId }, m.hint),
    );
  });
  showStep('method');
}

function resetMethodDetail(): void {
  methodDetail.replaceChildren();
  sendCodeButton.hidden = true;
  sendCodeButton.textContent = t.sendCode;
  sendCodeButton.classList.remove('secondary');
  verifyButton.hidden = true;
  differentMethod.hidden = true;
  chosen = undefined;
  questionIds = [];
}

function codeField(): HTMLElement {
  const input = el('input', {
    type: 'text',
    id: 'code',
    name: 'code',
    inputMode: 'numeric',
    autocomplete: 'one-time-code',
    required: true,
    maxLength: 32,
  });
  return el('div', {}, el('label', { htmlFor: 'code' }, t.code), input);
}

function chooseMethod(method: MethodName): void {
  resetMethodDetail();
  chosen = method;
  const sends = CODE_SENDING.includes(method);
  sendCodeButton.hidden = !sends;
  verifyButton.hidden = sends || method === 'securityQuestions';
  // Offered once there is more than one method to switch to.
  differentMethod.hidden = (flow === undefined ? 0 : remainingMethods(flow).length) < 2;
  if (method === 'totp') methodDetail.append(codeField());
  if (method === 'securityQuestions') void fetchQuestions();
}

/** "Use a different method": back to the list, nothing chosen. */
differentMethod.addEventListener('click', () => {
  resetMethodDetail();
  for (const radio of Array.from(methodList.querySelectorAll<HTMLInputElement>('input')))
    radio.checked = false;
  announce('');
  methodList.querySelector<HTMLInputElement>('input')?.focus();
});

async function fetchQuestions(): Promise<void> {
  if (flow === undefined) return;
  setBusy(methodForm, true);
  announce(t.working);
  try {
    const answer = await api<ChallengeAnswer>(
      'POST',
      `/sspr/flows/${encodeURIComponent(flow.flowId)}/challenge`,
      { method: 'securityQuestions' },
    );
    announce('');
    const questions = answer.questions ?? [];
    questionIds = questions.map((q) => q.questionId);
    questions.forEach((q, index) => {
      const id = `answer-${String(index)}`;
      methodDetail.append(
        el('label', { htmlFor: id }, q.text),
        el('input', {
          type: 'text',
          id,
          name: id,
          autocomplete: 'off',
          required: true,
          maxLength: 200,
        }),
      );
    });
    verifyButton.hidden = false;
    byId('answer-0').focus();
  } catch (error) {
    showError(error);
  } finally {
    setBusy(methodForm, false);
  }
}

sendCodeButton.addEventListener('click', () => {
  if (flow === undefined || chosen === undefined) return;
  const flowId = flow.flowId;
  const method = chosen;
  setBusy(methodForm, true);
  announce(t.working);
  void (async () => {
    try {
      await api<ChallengeAnswer>('POST', `/sspr/flows/${encodeURIComponent(flowId)}/challenge`, {
        method,
      });
      announce(codeSentMessage(method));
      if (document.getElementById('code') === null) methodDetail.append(codeField());
      verifyButton.hidden = false;
      sendCodeButton.textContent = t.resendCode;
      sendCodeButton.classList.add('secondary');
    } catch (error) {
      showError(error);
    } finally {
      setBusy(methodForm, false);
      document.getElementById('code')?.focus();
    }
  })();
});

methodForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (flow === undefined || chosen === undefined || verifyButton.hidden) return;
  const flowId = flow.flowId;
  const body =
    chosen === 'securityQuestions'
      ? {
          method: chosen,
          answers: questionIds.map((questionId, index) => ({
            questionId,
            answer: byId<HTMLInputElement>(`answer-${String(index)}`).value,
          })),
        }
      : { method: chosen, code: byId<HTMLInputElement>('code').value.trim() };
  setBusy(methodForm, true);
  announce(t.working);
  void (async () => {
    try {
      flow = await api<FlowView>('POST', `/sspr/flows/${encodeURIComponent(flowId)}/verify`, body);
      if (flow.state === 'new_password') {
        afterGates();
      } else {
        enterMethodStep();
        announce(t.gatePassed);
      }
    } catch (error) {
      showError(error);
    } finally {
      setBusy(methodForm, false);
    }
  })();
});

// ---- step 3a: reset or unlock only ---------------------------------------------------------------

const choiceForm = byId<HTMLFormElement>('choice-form');

function enterChoiceStep(): void {
  for (const radio of Array.from(choiceForm.querySelectorAll<HTMLInputElement>('input')))
    radio.checked = false;
  showStep('choice');
}

choiceForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (flow === undefined) return;
  const picked = choiceForm.querySelector<HTMLInputElement>('input[name="choice"]:checked');
  if (picked === null) {
    announce(t.choiceNeeded);
    byId('choice-reset').focus();
    return;
  }
  if (picked.value === 'reset') {
    announce('');
    enterPasswordStep();
    return;
  }
  const flowId = flow.flowId;
  setBusy(choiceForm, true);
  announce(t.working);
  void (async () => {
    try {
      flow = await api<FlowView>('POST', `/sspr/flows/${encodeURIComponent(flowId)}/unlock`);
      announce(t.unlockedHeading);
      showStep('unlocked');
    } catch (error) {
      showError(error);
    } finally {
      setBusy(choiceForm, false);
    }
  })();
});

// ---- step 3b: new password -----------------------------------------------------------------------

const passwordForm = byId<HTMLFormElement>('password-form');
const passwords = createNewPasswordFields(
  t,
  () => (flow === undefined ? undefined : { flowId: flow.flowId }),
  () => flow?.passwordPolicy ?? [],
);

function enterPasswordStep(): void {
  passwords.checklist.render(flow?.passwordPolicy ?? []);
  showStep('password');
}

passwordForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (flow === undefined || !passwords.ready()) return;
  const flowId = flow.flowId;
  setBusy(passwordForm, true);
  announce(t.working);
  void (async () => {
    try {
      flow = await api<FlowView>('POST', `/sspr/flows/${encodeURIComponent(flowId)}/reset`, {
        newPassword: passwords.newPassword.value,
      });
      passwords.newPassword.value = '';
      passwords.confirmPassword.value = '';
      announce(t.doneHeading);
      showStep('done');
    } catch (error) {
      passwords.showFailure(error);
      showError(error);
    } finally {
      setBusy(passwordForm, false);
    }
  })();
});

byId<HTMLInputElement>('user-id').focus();
