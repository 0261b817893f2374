/**
 * The employee portal's self-service password reset. Talks only to the JSON API (/api/v1).
 * CSP-safe: no inline script or style, no style attributes; visibility by `hidden` and classes.
 */
import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey as webPbkdf2 } from 'altcha-lib/algorithms/web/pbkdf2';
import { deriveKey as webSha } from 'altcha-lib/algorithms/web/sha';
import { format, messagesFor, pickLanguage, type MessageKey } from './i18n.js';
import { api, ApiError, setNetworkErrorMessage } from '../shared/api.js';
import { byId, el, setBusy, translateStatic } from '../shared/dom.js';

type MethodName = 'email' | 'totp' | 'securityQuestions' | (string & {});

interface RuleDescription {
  readonly id: string;
  readonly message: string;
  readonly checkedBy?: 'server' | 'directory';
}

interface RuleResult {
  readonly id: string;
  readonly ok: boolean;
  readonly message: string;
}

interface FlowView {
  readonly flowId: string;
  readonly state: string;
  readonly gatesRequired: number;
  readonly gatesPassed?: readonly MethodName[];
  readonly methods: readonly { readonly method: MethodName; readonly hint: string }[];
  readonly supportCode?: string;
  readonly passwordPolicy?: readonly RuleDescription[];
  readonly helpdeskLink?: string | null;
}

interface ChallengeAnswer {
  readonly method: MethodName;
  readonly questions?: readonly { readonly questionId: string; readonly text: string }[];
}

interface CheckAnswer {
  readonly ok: boolean;
  readonly rules: readonly RuleResult[];
  readonly policy: readonly RuleDescription[];
}

const lang = pickLanguage(
  location.search,
  navigator.languages.length > 0 ? navigator.languages : [navigator.language],
);
const t = messagesFor(lang);
setNetworkErrorMessage(t.networkError);

// ---- status region ------------------------------------------------------------------------------

const statusBox = byId('status');
const statusMessage = byId('status-message');
const supportCode = byId('support-code');
const helpdesk = byId('helpdesk');
const helpdeskLink = byId<HTMLAnchorElement>('helpdesk-link');

/** The admin's helpdesk link (email or URL), shown with every error (Entra's "Contact your administrator"). */
void api<{ helpdeskLink: string | null }>('GET', '/sspr/settings').then(
  (settings) => {
    if (settings.helpdeskLink === null) return;
    const isEmail = !/^https?:/i.test(settings.helpdeskLink);
    helpdeskLink.href = isEmail ? `mailto:${settings.helpdeskLink}` : settings.helpdeskLink;
    helpdeskLink.textContent = format(t.helpdesk, { link: settings.helpdeskLink });
  },
  () => undefined,
);

function announce(message: string): void {
  statusBox.classList.remove('error');
  statusMessage.textContent = message;
  supportCode.hidden = true;
  supportCode.textContent = '';
  helpdesk.hidden = true;
}

function showError(error: unknown): void {
  statusBox.classList.add('error');
  if (error instanceof ApiError) {
    statusMessage.textContent = error.message;
    if (error.correlationId !== undefined) {
      supportCode.textContent = format(t.supportCode, { code: error.correlationId });
      supportCode.hidden = false;
    } else {
      supportCode.hidden = true;
    }
  } else {
    statusMessage.textContent = error instanceof Error ? error.message : String(error);
    supportCode.hidden = true;
  }
  helpdesk.hidden = helpdeskLink.textContent === '';
  startOver.hidden = false;
}

// ---- steps --------------------------------------------------------------------------------------

type Step = 'start' | 'method' | 'password' | 'done';
const steps: Record<Step, string> = {
  start: 'start-heading',
  method: 'method-heading',
  password: 'password-heading',
  done: 'done-heading',
};

function showStep(step: Step): void {
  for (const name of Object.keys(steps) as Step[]) byId(`step-${name}`).hidden = name !== step;
  byId(steps[step]).focus();
}

// ---- translations of the static page -----------------------------------------------------------

document.documentElement.lang = lang;
translateStatic(t);

const startOver = byId<HTMLAnchorElement>('start-over');

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
let chosen: MethodName | undefined;
let questionIds: string[] = [];

function methodLabel(method: MethodName): string {
  const key = `method_${method}` as MessageKey;
  return key in t ? t[key] : method;
}

function remainingMethods(view: FlowView): FlowView['methods'] {
  const passed = new Set(view.gatesPassed ?? []);
  return view.methods.filter((m) => !passed.has(m.method));
}

function enterMethodStep(): void {
  if (flow === undefined) return;
  if (flow.state === 'new_password') {
    enterPasswordStep();
    return;
  }
  const passed = flow.gatesPassed?.length ?? 0;
  byId('gate-progress').textContent = format(t.gateProgress, {
    n: passed + 1,
    m: flow.gatesRequired,
  });
  methodList.replaceChildren();
  methodDetail.replaceChildren();
  sendCodeButton.hidden = true;
  verifyButton.hidden = true;
  chosen = undefined;
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
  chosen = method;
  methodDetail.replaceChildren();
  questionIds = [];
  sendCodeButton.hidden = method !== 'email';
  verifyButton.hidden = method === 'email' || method === 'securityQuestions';
  if (method === 'totp') methodDetail.append(codeField());
  if (method === 'securityQuestions') void fetchQuestions();
}

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
          maxLength: 256,
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
  if (flow === undefined) return;
  const flowId = flow.flowId;
  setBusy(methodForm, true);
  announce(t.working);
  void (async () => {
    try {
      await api<ChallengeAnswer>('POST', `/sspr/flows/${encodeURIComponent(flowId)}/challenge`, {
        method: 'email',
      });
      announce(t.codeSent);
      if (document.getElementById('code') === null) methodDetail.append(codeField());
      verifyButton.hidden = false;
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
        announce('');
        enterPasswordStep();
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

// ---- step 3: new password -----------------------------------------------------------------------

const passwordForm = byId<HTMLFormElement>('password-form');
const newPassword = byId<HTMLInputElement>('new-password');
const confirmPassword = byId<HTMLInputElement>('confirm-password');
const mismatch = byId('mismatch');
const ruleList = byId('rule-list');
const ruleItems = new Map<
  string,
  { li: HTMLLIElement; mark: HTMLSpanElement; state: HTMLSpanElement; text: HTMLSpanElement }
>();
let checkTimer: ReturnType<typeof setTimeout> | undefined;
let checkSequence = 0;

function renderRules(rules: readonly RuleDescription[]): void {
  ruleList.replaceChildren();
  ruleItems.clear();
  for (const rule of rules) {
    const mark = el('span', { className: 'mark' });
    mark.setAttribute('aria-hidden', 'true');
    const state = el('span', { className: 'visually-hidden' });
    const text = el('span', {}, rule.message);
    const li = el('li', {}, mark, state, text);
    ruleItems.set(rule.id, { li, mark, state, text });
    if (rule.checkedBy === 'directory') setRule(rule.id, 'directory');
    else setRule(rule.id, 'pending');
  }
  for (const item of ruleItems.values()) ruleList.append(item.li);
}

function setRule(
  id: string,
  verdict: 'ok' | 'fail' | 'directory' | 'pending',
  message?: string,
): void {
  const item = ruleItems.get(id);
  if (item === undefined) return;
  item.li.classList.remove('ok', 'fail', 'directory');
  if (verdict !== 'pending') item.li.classList.add(verdict);
  item.mark.textContent =
    verdict === 'ok' ? '✓' : verdict === 'fail' ? '✗' : verdict === 'directory' ? 'ⓘ' : '•';
  item.state.textContent =
    verdict === 'ok'
      ? `${t.ruleOk}: `
      : verdict === 'fail'
        ? `${t.ruleFail}: `
        : verdict === 'directory'
          ? `${t.ruleDirectory}: `
          : '';
  if (message !== undefined) item.text.textContent = message;
}

function applyResults(results: readonly RuleResult[]): void {
  for (const result of results) {
    if (!ruleItems.has(result.id)) {
      renderRulesAppend({ id: result.id, message: result.message });
    }
    setRule(result.id, result.ok ? 'ok' : 'fail', result.message);
  }
}

function renderRulesAppend(rule: RuleDescription): void {
  const mark = el('span', { className: 'mark' });
  mark.setAttribute('aria-hidden', 'true');
  const state = el('span', { className: 'visually-hidden' });
  const text = el('span', {}, rule.message);
  const li = el('li', {}, mark, state, text);
  ruleItems.set(rule.id, { li, mark, state, text });
  ruleList.append(li);
}

function enterPasswordStep(): void {
  renderRules(flow?.passwordPolicy ?? []);
  showStep('password');
}

async function checkNow(): Promise<void> {
  if (flow === undefined) return;
  const sequence = ++checkSequence;
  const password = newPassword.value;
  if (password.length === 0) {
    renderRules(flow.passwordPolicy ?? []);
    return;
  }
  try {
    const answer = await api<CheckAnswer>('POST', '/password/check', {
      password,
      flowId: flow.flowId,
    });
    if (sequence !== checkSequence) return; // a newer keystroke won
    if (ruleItems.size === 0) renderRules(answer.policy);
    applyResults(answer.rules);
  } catch {
    // The live checklist is advisory; the reset itself reports the rules that failed.
  }
}

newPassword.addEventListener('input', () => {
  if (checkTimer !== undefined) clearTimeout(checkTimer);
  checkTimer = setTimeout(() => void checkNow(), 250);
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

passwordForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (flow === undefined) return;
  if (newPassword.value.length === 0) {
    newPassword.focus();
    return;
  }
  if (updateMismatch() || confirmPassword.value !== newPassword.value) {
    mismatch.hidden = false;
    confirmPassword.focus();
    return;
  }
  const flowId = flow.flowId;
  setBusy(passwordForm, true);
  announce(t.working);
  void (async () => {
    try {
      flow = await api<FlowView>('POST', `/sspr/flows/${encodeURIComponent(flowId)}/reset`, {
        newPassword: newPassword.value,
      });
      newPassword.value = '';
      confirmPassword.value = '';
      announce(t.doneHeading);
      showStep('done');
    } catch (error) {
      const details =
        error instanceof ApiError
          ? (error.details as { rules?: RuleResult[] } | undefined)
          : undefined;
      if (details !== undefined && Array.isArray(details.rules)) applyResults(details.rules);
      showError(error);
    } finally {
      setBusy(passwordForm, false);
    }
  })();
});

byId<HTMLInputElement>('user-id').focus();
