/**
 * The account page (/account): sign-in (password, then a TOTP or email code when asked), the
 * registration interrupt ("More information required" until the policy is met; "Is your security
 * info still right?" when re-confirmation is due), and "Security info": the methods, adding one
 * (authenticator app with a QR code drawn here, email, phone, security questions), removing one,
 * changing the password, signing out (here or everywhere). Talks only to the JSON API; CSP-safe.
 */
import QRCode from 'qrcode';
import { DICTIONARIES, format, type AccountMessageKey } from './i18n.js';
import { api, ApiError, setNetworkErrorMessage } from '../shared/api.js';
import { brandPage } from '../shared/branding.js';
import type { RuleDescription } from '../shared/checklist.js';
import { byId, el, setBusy, translateStatic } from '../shared/dom.js';
import { pickLanguage } from '../shared/i18n.js';
import { createNewPasswordFields } from '../shared/new-password.js';
import { createSecondStep } from '../shared/second-step.js';
import { createStatus } from '../shared/status.js';

interface Registration {
  readonly required: boolean;
  readonly reconfirmDue: boolean;
  readonly methodsRequired: number;
  readonly methodsRegistered: number;
  /** What the policy lets this user register (src/services/registration-status.ts). */
  readonly methodsAllowed: readonly string[];
}

interface SessionAnswer {
  readonly userId: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly secondFactorRequired: boolean;
  readonly secondFactorMethods: readonly { readonly method: string; readonly hint: string }[];
  readonly registration: Registration;
}

interface MethodView {
  readonly id: string;
  readonly method: string;
  readonly display: string;
}

interface MethodsAnswer {
  readonly methods: readonly MethodView[];
  readonly registration: Registration;
}

interface QuestionsAnswer {
  readonly toRegister: number;
  readonly questions: readonly { readonly id: string; readonly text: string }[];
}

const { lang, t } = pickLanguage(DICTIONARIES);
setNetworkErrorMessage(t.networkError);
document.documentElement.lang = lang;
translateStatic(t);

const status = createStatus(t);
const { announce, showError } = status;

brandPage(t);

if (new URLSearchParams(location.search).get('lang') !== null) {
  const query = `?lang=${encodeURIComponent(lang)}`;
  for (const id of ['forgot-link', 'reset-link']) byId<HTMLAnchorElement>(id).href = `/${query}`;
  byId<HTMLAnchorElement>('sign-in-again').href = `/account${query}`;
}

/**
 * Set while this browser holds a session, so a fresh visit does not ask the server about a session
 * it does not have (the session cookie itself is HttpOnly).
 */
const SIGNED_IN_KEY = 'sspr.account.signedIn';
function rememberSignedIn(on: boolean): void {
  try {
    if (on) localStorage.setItem(SIGNED_IN_KEY, '1');
    else localStorage.removeItem(SIGNED_IN_KEY);
  } catch {
    // Storage may be off; the page then simply starts at sign-in.
  }
}
function maybeSignedIn(): boolean {
  try {
    return localStorage.getItem(SIGNED_IN_KEY) === '1';
  } catch {
    return false;
  }
}

function methodLabel(method: string): string {
  const key = `method_${method}` as AccountMessageKey;
  return key in t ? t[key] : method;
}

// ---- steps --------------------------------------------------------------------------------------

type Step = 'signin' | 'second' | 'register' | 'reconfirm' | 'info' | 'signedout';
const STEPS: readonly Step[] = ['signin', 'second', 'register', 'reconfirm', 'info', 'signedout'];
let current: Step = 'signin';

function showStep(step: Step, focus = true): void {
  current = step;
  for (const name of STEPS) byId(`step-${name}`).hidden = name !== step;
  if (focus) byId(`${step}-heading`).focus();
}

let session: SessionAnswer | undefined;

/** Where a signed-in user goes: the interrupt first, then re-confirmation, then security info. */
async function route(registration: Registration, notice = ''): Promise<void> {
  const answer = await api<MethodsAnswer>('GET', '/me/methods');
  if (registration.required || answer.registration.required) {
    enterRegister(answer);
  } else if (answer.registration.reconfirmDue) {
    enterReconfirm(answer);
  } else {
    enterInfo(answer);
  }
  announce(notice);
}

/** The session is gone (expired, signed out elsewhere) or never finished its second step. */
const SESSION_LOST = new Set(['SSPR_2001', 'SSPR_2005']);

/** Shows an error; when the session is lost, back to sign-in with the server's message. */
function handle(error: unknown): void {
  if (error instanceof ApiError && SESSION_LOST.has(error.code)) {
    rememberSignedIn(false);
    session = undefined;
    showStep('signin');
  }
  showError(error);
}

// ---- sign-in ------------------------------------------------------------------------------------

const signInForm = byId<HTMLFormElement>('signin-form');
signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const userId = byId<HTMLInputElement>('signin-user').value.trim();
  const password = byId<HTMLInputElement>('signin-password');
  if (userId.length === 0) {
    byId('signin-user').focus();
    return;
  }
  if (password.value.length === 0) {
    password.focus();
    return;
  }
  setBusy(signInForm, true);
  announce(t.working);
  void (async () => {
    try {
      session = await api<SessionAnswer>('POST', '/auth/sign-in', {
        userId,
        password: password.value,
      });
      password.value = '';
      rememberSignedIn(true);
      await afterSignIn(session);
    } catch (error) {
      showError(error);
    } finally {
      setBusy(signInForm, false);
    }
  })();
});

async function afterSignIn(answer: SessionAnswer): Promise<void> {
  byId<HTMLInputElement>('username-echo').value = answer.userPrincipalName;
  if (answer.secondFactorRequired) {
    enterSecond(answer);
    announce('');
    return;
  }
  await route(answer.registration);
}

// ---- second step --------------------------------------------------------------------------------

const secondStep = createSecondStep<SessionAnswer>({
  labels: t,
  announce,
  showError: handle,
  onVerified: async (answer) => {
    session = answer;
    await route(answer.registration);
  },
});

function enterSecond(answer: SessionAnswer): void {
  secondStep.enter(answer.secondFactorMethods);
  showStep('second');
}

// ---- method list (security info and re-confirmation) --------------------------------------------

const methodList = byId('method-list');

function renderMethods(
  list: HTMLElement,
  methods: readonly MethodView[],
  removable: boolean,
): void {
  list.replaceChildren();
  for (const m of methods) {
    const name = el('strong', {}, methodLabel(m.method));
    const item = el(
      'li',
      {},
      el('span', {}, name, el('span', { className: 'display' }, m.display)),
    );
    if (removable) {
      const remove = el('button', { type: 'button', className: 'secondary' }, t.remove);
      remove.setAttribute('aria-label', format(t.removeMethod, { method: methodLabel(m.method) }));
      remove.addEventListener('click', () => {
        confirmRemove(m, remove);
      });
      item.append(remove);
    }
    list.append(item);
  }
}

// ---- registration interrupt ---------------------------------------------------------------------

function enterRegister(answer: MethodsAnswer): void {
  byId('register-progress').textContent = format(t.registerProgress, {
    n: Math.min(answer.registration.methodsRegistered, answer.registration.methodsRequired),
    m: answer.registration.methodsRequired,
  });
  placeAddPanel('register-slot', answer.registration);
  showStep('register');
}

function enterReconfirm(answer: MethodsAnswer): void {
  renderMethods(byId('reconfirm-list'), answer.methods, false);
  showStep('reconfirm');
}

byId('looks-good').addEventListener('click', () => {
  announce(t.working);
  void (async () => {
    try {
      await api('POST', '/me/methods/confirm');
      enterInfo(await api<MethodsAnswer>('GET', '/me/methods'));
      announce(t.confirmed);
    } catch (error) {
      handle(error);
    }
  })();
});

byId('change-info').addEventListener('click', () => {
  void (async () => {
    try {
      enterInfo(await api<MethodsAnswer>('GET', '/me/methods'));
      byId('methods-heading').focus();
    } catch (error) {
      handle(error);
    }
  })();
});

// ---- security info ------------------------------------------------------------------------------

let initialRules: readonly RuleDescription[] = [];
/** Whose effective policy `initialRules` is (another user may sign in on this page later). */
let rulesFor: string | undefined;

function enterInfo(answer: MethodsAnswer): void {
  byId('signed-in-as').textContent =
    session === undefined
      ? ''
      : format(t.signedInAs, { name: `${session.displayName} (${session.userPrincipalName})` });
  renderMethods(methodList, answer.methods, true);
  byId('no-methods').hidden = answer.methods.length > 0;
  placeAddPanel('info-slot', answer.registration);
  const focus = current !== 'info';
  showStep('info', focus);
  if (session !== undefined && rulesFor !== session.userId) void loadRules(session.userId);
}

async function refreshInfo(notice: string): Promise<void> {
  const answer = await api<MethodsAnswer>('GET', '/me/methods');
  if (current === 'register') {
    if (answer.registration.required) {
      enterRegister(answer);
      announce(notice);
      return;
    }
    enterInfo(answer);
    announce(`${notice} ${t.registerDone}`);
    return;
  }
  enterInfo(answer);
  announce(notice);
}

// ---- remove (with confirmation) -----------------------------------------------------------------

const removeDialog = byId<HTMLDialogElement>('remove-dialog');
let removing: { method: MethodView; opener: HTMLElement } | undefined;

function confirmRemove(method: MethodView, opener: HTMLElement): void {
  removing = { method, opener };
  byId('remove-text').textContent = format(t.removeText, {
    method: methodLabel(method.method),
    display: method.display,
  });
  removeDialog.showModal();
  byId('remove-cancel').focus();
}

removeDialog.addEventListener('close', () => {
  const target = removing;
  removing = undefined;
  if (target === undefined) return;
  if (removeDialog.returnValue !== 'remove') {
    target.opener.focus();
    return;
  }
  announce(t.working);
  void (async () => {
    try {
      await api('DELETE', `/me/methods/${encodeURIComponent(target.method.id)}`);
      await refreshInfo(format(t.removed, { method: methodLabel(target.method.method) }));
      byId('methods-heading').focus();
    } catch (error) {
      handle(error);
    }
  })();
});

// ---- add a method -------------------------------------------------------------------------------

const addPanel = byId('add-panel');
const addForm = byId<HTMLFormElement>('add-form');
const addKind = byId<HTMLSelectElement>('add-kind');
const addDetail = byId('add-detail');

/** Each "add" choice and the policy's method names that allow it (a phone: text or call). */
const ADD_KINDS: Readonly<Record<string, readonly string[]>> = {
  totp: ['totp'],
  email: ['email'],
  mobile: ['sms', 'voice'],
  office: ['officePhone'],
  securityQuestions: ['securityQuestions'],
};
const addOptions = Array.from(addKind.options);

/** Moves the add panel into `slot`, offering only what the policy lets this user register. */
function placeAddPanel(slot: 'register-slot' | 'info-slot', registration: Registration): void {
  const target = byId(slot);
  if (addPanel.parentElement !== target) {
    target.append(addPanel);
    addDetail.replaceChildren();
  }
  const allowed = new Set(registration.methodsAllowed);
  const offered = addOptions.filter((option) =>
    (ADD_KINDS[option.value] ?? []).some((method) => allowed.has(method)),
  );
  const keep = addKind.value;
  addKind.replaceChildren(...offered);
  if (offered.some((option) => option.value === keep)) addKind.value = keep;
  addPanel.hidden = offered.length === 0;
}

addForm.addEventListener('submit', (event) => {
  event.preventDefault();
  addDetail.replaceChildren();
  announce('');
  switch (addKind.value) {
    case 'totp':
      void addTotp();
      break;
    case 'email':
      addEmail();
      break;
    case 'mobile':
    case 'office':
      addPhone(addKind.value);
      break;
    case 'securityQuestions':
      void addQuestions();
      break;
    default:
      break;
  }
});

function textField(
  id: string,
  label: string,
  props: Partial<HTMLInputElement> = {},
  help?: string,
): HTMLElement {
  const input = el('input', { type: 'text', id, name: id, required: true, ...props });
  const wrapper = el('div', {}, el('label', { htmlFor: id }, label), input);
  if (help !== undefined) {
    input.setAttribute('aria-describedby', `${id}-help`);
    wrapper.append(el('p', { className: 'help', id: `${id}-help` }, help));
  }
  return wrapper;
}

function codeInput(id: string): HTMLElement {
  return textField(id, t.code, {
    inputMode: 'numeric',
    autocomplete: 'one-time-code',
    maxLength: 32,
  });
}

/** A panel form; `onSubmit` runs with the form busy and errors shown. */
function panelForm(
  labelledBy: string,
  onSubmit: (form: HTMLFormElement) => Promise<void>,
  ...children: HTMLElement[]
): HTMLFormElement {
  const form = el('form', { className: 'panel', noValidate: true }, ...children);
  form.setAttribute('aria-labelledby', labelledBy);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const empty = Array.from(
      form.querySelectorAll<HTMLInputElement | HTMLSelectElement>(
        'input[required], select[required]',
      ),
    ).find((input) => !input.hidden && input.value.trim().length === 0);
    if (empty !== undefined) {
      announce(t.required);
      empty.focus();
      return;
    }
    setBusy(form, true);
    announce(t.working);
    void onSubmit(form)
      .catch((error: unknown) => {
        handle(error);
      })
      .finally(() => {
        setBusy(form, false);
      });
  });
  return form;
}

function setRequired(form: HTMLFormElement, id: string, required: boolean): void {
  const input = form.querySelector<HTMLInputElement>(`#${id}`);
  if (input !== null) input.required = required;
}

async function registered(method: string): Promise<void> {
  addDetail.replaceChildren();
  await refreshInfo(format(t.added, { method: methodLabel(method) }));
}

async function addTotp(): Promise<void> {
  announce(t.working);
  try {
    const start = await api<{ secret: string; otpauthUri: string }>('POST', '/me/methods/totp');
    const qr = el('img', {
      className: 'qr',
      alt: t.totpQrAlt,
      src: await QRCode.toDataURL(start.otpauthUri, { margin: 1, width: 192 }),
      width: 192,
      height: 192,
    });
    const heading = el('h3', { id: 'totp-heading' }, t.add_totp);
    addDetail.append(
      panelForm(
        'totp-heading',
        async () => {
          await api('POST', '/me/methods/totp/verify', {
            code: byId<HTMLInputElement>('totp-code').value.trim(),
          });
          await registered('totp');
        },
        heading,
        el('p', {}, t.totpScan),
        qr,
        el(
          'p',
          {},
          t.totpManual,
          ' ',
          el('code', { className: 'secret', id: 'totp-secret' }, start.secret),
        ),
        codeInput('totp-code'),
        el('button', { type: 'submit' }, t.verify),
      ),
    );
    announce('');
    heading.tabIndex = -1;
    heading.focus();
  } catch (error) {
    handle(error);
  }
}

/** An email address or phone number to verify with a code: send, then type the code. */
interface CodeMethod {
  /** Prefix of the element ids (`email-heading`, `email-code` …). */
  readonly prefix: 'email' | 'phone';
  readonly heading: string;
  /** The address or number field. */
  readonly field: HTMLElement;
  /** Sends the code; answers the notice to announce. */
  readonly send: () => Promise<string>;
  /** Where the code goes (POST { code }). */
  readonly verifyPath: string;
  /** The method registered, for the "Added" notice. */
  readonly registers: string;
}

function addWithCode(spec: CodeMethod): void {
  const codeId = `${spec.prefix}-code`;
  const heading = el('h3', { id: `${spec.prefix}-heading`, tabIndex: -1 }, spec.heading);
  const codeBox = el('div', { hidden: true }, codeInput(codeId));
  const submit = el('button', { type: 'submit' }, t.sendCode);
  let sent = false;
  const form = panelForm(
    heading.id,
    async () => {
      if (!sent) {
        const notice = await spec.send();
        sent = true;
        codeBox.hidden = false;
        setRequired(form, codeId, true);
        submit.textContent = t.verify;
        resend.hidden = false;
        announce(notice);
        byId(codeId).focus();
        return;
      }
      await api('POST', spec.verifyPath, { code: byId<HTMLInputElement>(codeId).value.trim() });
      await registered(spec.registers);
    },
    heading,
    spec.field,
    codeBox,
    submit,
  );
  const resend = el(
    'button',
    { type: 'button', className: 'secondary', hidden: true },
    t.resendCode,
  );
  resend.addEventListener('click', () => {
    sent = false;
    byId<HTMLInputElement>(codeId).value = '';
    setRequired(form, codeId, false);
    form.requestSubmit(submit);
  });
  form.append(resend);
  // The code field is only required once the code was sent.
  setRequired(form, codeId, false);
  addDetail.append(form);
  heading.focus();
}

function addEmail(): void {
  addWithCode({
    prefix: 'email',
    heading: t.add_email,
    field: textField('email-address', t.emailAddress, {
      type: 'email',
      autocomplete: 'email',
      maxLength: 254,
    }),
    send: async () => {
      const address = byId<HTMLInputElement>('email-address').value.trim();
      await api('POST', '/me/methods/email', { email: address });
      return format(t.emailCodeSent, { address });
    },
    verifyPath: '/me/methods/email/verify',
    registers: 'email',
  });
}

function addPhone(type: 'mobile' | 'office'): void {
  addWithCode({
    prefix: 'phone',
    heading: t[`add_${type}`],
    field: textField(
      'phone-number',
      t.phoneNumber,
      { type: 'tel', autocomplete: 'tel', maxLength: 32 },
      t.phoneHelp,
    ),
    send: async () => {
      const answer = await api<{ phoneNumber: string; delivery: 'sms' | 'voice' }>(
        'POST',
        '/me/methods/phone',
        { type, phoneNumber: byId<HTMLInputElement>('phone-number').value.trim() },
      );
      return format(t[`phoneCodeSent_${answer.delivery}`], { number: answer.phoneNumber });
    },
    verifyPath: '/me/methods/phone/verify',
    registers: type === 'mobile' ? 'sms' : 'officePhone',
  });
}

async function addQuestions(): Promise<void> {
  announce(t.working);
  try {
    const answer = await api<QuestionsAnswer>('GET', '/me/methods/securityQuestions/questions');
    const n = answer.toRegister;
    const heading = el('h3', { id: 'questions-heading', tabIndex: -1 }, t.add_securityQuestions);
    const rows: HTMLElement[] = [];
    for (let i = 1; i <= n; i++) {
      const select = el(
        'select',
        { id: `question-${String(i)}`, name: `question-${String(i)}`, required: true },
        el('option', { value: '' }, t.chooseQuestion),
        ...answer.questions.map((q) => el('option', { value: q.id }, q.text)),
      );
      rows.push(
        el(
          'div',
          {},
          el('label', { htmlFor: select.id }, format(t.questionN, { n: i })),
          select,
          textField(`question-answer-${String(i)}`, format(t.answerN, { n: i }), {
            autocomplete: 'off',
            maxLength: 200,
          }),
        ),
      );
    }
    addDetail.append(
      panelForm(
        'questions-heading',
        async () => {
          const answers = [];
          for (let i = 1; i <= n; i++) {
            answers.push({
              questionId: byId<HTMLSelectElement>(`question-${String(i)}`).value,
              answer: byId<HTMLInputElement>(`question-answer-${String(i)}`).value,
            });
          }
          if (new Set(answers.map((a) => a.questionId)).size !== n) {
            announce(format(t.questionsDistinct, { n }));
            byId('question-1').focus();
            return;
          }
          await api('POST', '/me/methods/securityQuestions', { answers });
          await registered('securityQuestions');
        },
        heading,
        el('p', {}, format(t.questionsIntro, { n })),
        ...rows,
        el('button', { type: 'submit' }, t.save),
      ),
    );
    announce('');
    heading.focus();
  } catch (error) {
    handle(error);
  }
}

// ---- change password ----------------------------------------------------------------------------

const passwordForm = byId<HTMLFormElement>('password-form');
const currentPassword = byId<HTMLInputElement>('current-password');
const passwords = createNewPasswordFields(
  t,
  // The session cookie selects the signed-in user's own policy; no user id is needed.
  () => ({}),
  () => initialRules,
);

/**
 * The signed-in user's effective password policy (the session cookie selects it; directory rules
 * come back marked `checkedBy: 'directory'`), shown before anything is typed.
 */
async function loadRules(userId: string): Promise<void> {
  rulesFor = userId;
  try {
    const answer = await api<{ policy: readonly RuleDescription[] }>('POST', '/password/check', {
      password: '',
    });
    if (rulesFor !== userId) return;
    initialRules = answer.policy;
    if (passwords.newPassword.value.length === 0) passwords.checklist.render(initialRules);
  } catch {
    rulesFor = undefined;
    // Advisory only: the change itself reports the rules that failed.
  }
}

passwordForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (currentPassword.value.length === 0) {
    currentPassword.focus();
    return;
  }
  if (!passwords.ready()) return;
  setBusy(passwordForm, true);
  announce(t.working);
  void (async () => {
    try {
      await api('POST', '/me/password', {
        currentPassword: currentPassword.value,
        newPassword: passwords.newPassword.value,
      });
      currentPassword.value = '';
      passwords.clear();
      announce(t.passwordChanged);
    } catch (error) {
      passwords.showFailure(error);
      handle(error);
    } finally {
      setBusy(passwordForm, false);
    }
  })();
});

// ---- sign out -----------------------------------------------------------------------------------

function signOut(everywhere: boolean): void {
  announce(t.working);
  void (async () => {
    try {
      const answer = await api<{ sessionsRevoked: number }>(
        'POST',
        '/auth/sign-out',
        everywhere ? { everywhere: true } : undefined,
      );
      rememberSignedIn(false);
      session = undefined;
      showStep('signedout');
      announce(
        everywhere ? format(t.signedOutEverywhere, { n: answer.sessionsRevoked }) : t.signedOut,
      );
    } catch (error) {
      handle(error);
    }
  })();
}
byId('sign-out').addEventListener('click', () => {
  signOut(false);
});
byId('sign-out-everywhere').addEventListener('click', () => {
  signOut(true);
});

// ---- start --------------------------------------------------------------------------------------

async function start(): Promise<void> {
  if (maybeSignedIn()) {
    try {
      session = await api<SessionAnswer>('GET', '/auth/session');
      await afterSignIn(session);
      return;
    } catch {
      rememberSignedIn(false);
      session = undefined;
    }
  }
  showStep('signin', false);
  byId('signin-user').focus();
}
void start();
