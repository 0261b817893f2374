/**
 * The account page (/account): sign-in (password, then a TOTP or email code when asked), the
 * registration interrupt ("More information required" until the policy is met; "Is your security
 * info still right?" when re-confirmation is due), and "Security info": the methods, adding one
 * (authenticator app with a QR code drawn here, email, phone, security questions), removing one,
 * changing the password, signing out (here or everywhere). Talks only to the JSON API; CSP-safe.
 */
import QRCode from 'qrcode';
import { format, messagesFor, pickLanguage, type AccountMessageKey } from './i18n.js';
import { api, ApiError, setNetworkErrorMessage } from '../shared/api.js';
import { applyBranding, applyHelpdeskLink, loadSettings } from '../shared/branding.js';
import { createChecklist, type RuleDescription, type RuleResult } from '../shared/checklist.js';
import { byId, el, setBusy, translateStatic } from '../shared/dom.js';
import { browserLanguages } from '../shared/i18n.js';
import { createStatus } from '../shared/status.js';

interface Registration {
  readonly required: boolean;
  readonly reconfirmDue: boolean;
  readonly methodsRequired: number;
  readonly methodsRegistered: number;
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

const lang = pickLanguage(location.search, browserLanguages());
const t = messagesFor(lang);
setNetworkErrorMessage(t.networkError);
document.documentElement.lang = lang;
translateStatic(t);

const status = createStatus(t);
const { announce, showError } = status;

void loadSettings().then((settings) => {
  if (settings === undefined) return;
  applyBranding(settings, t.title);
  applyHelpdeskLink(
    byId<HTMLAnchorElement>('helpdesk-link'),
    settings.helpdeskLink,
    format(t.helpdesk, { link: settings.helpdeskLink ?? '' }),
  );
});

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

const secondForm = byId<HTMLFormElement>('second-form');
const secondMethods = byId('second-methods');
const secondCode = byId('second-code');
const secondCodeInput = byId<HTMLInputElement>('second-code-input');
const secondSend = byId<HTMLButtonElement>('second-send');
const secondVerify = byId<HTMLButtonElement>('second-verify');
let secondMethod: string | undefined;

function enterSecond(answer: SessionAnswer): void {
  secondMethods.replaceChildren();
  secondCode.hidden = true;
  secondSend.hidden = true;
  secondVerify.hidden = true;
  secondMethod = undefined;
  answer.secondFactorMethods.forEach((m, index) => {
    const id = `second-${String(index)}`;
    const radio = el('input', { type: 'radio', name: 'second', id, value: m.method });
    radio.setAttribute('aria-describedby', `${id}-hint`);
    radio.addEventListener('change', () => {
      secondMethod = m.method;
      const sends = m.method === 'email';
      secondSend.hidden = !sends;
      secondSend.textContent = t.sendCode;
      secondSend.classList.remove('secondary');
      secondCode.hidden = sends;
      secondVerify.hidden = sends;
      secondCodeInput.value = '';
    });
    const key = `second_${m.method}` as AccountMessageKey;
    secondMethods.append(
      el('label', { htmlFor: id }, radio, ' ', key in t ? t[key] : methodLabel(m.method)),
      el('span', { className: 'hint', id: `${id}-hint` }, m.hint),
    );
  });
  showStep('second');
}

secondSend.addEventListener('click', () => {
  setBusy(secondForm, true);
  announce(t.working);
  void (async () => {
    try {
      await api('POST', '/auth/sign-in/challenge', { method: 'email' });
      announce(t.codeSent);
      secondCode.hidden = false;
      secondVerify.hidden = false;
      secondSend.textContent = t.resendCode;
      secondSend.classList.add('secondary');
    } catch (error) {
      handle(error);
    } finally {
      setBusy(secondForm, false);
      if (!secondCode.hidden) secondCodeInput.focus();
    }
  })();
});

secondForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (secondMethod === undefined || secondVerify.hidden) return;
  const code = secondCodeInput.value.trim();
  if (code.length === 0) {
    secondCodeInput.focus();
    return;
  }
  const method = secondMethod;
  setBusy(secondForm, true);
  announce(t.working);
  void (async () => {
    try {
      session = await api<SessionAnswer>('POST', '/auth/sign-in/verify', { method, code });
      secondCodeInput.value = '';
      await route(session.registration);
    } catch (error) {
      handle(error);
    } finally {
      setBusy(secondForm, false);
    }
  })();
});

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
  placeAddPanel('register-slot');
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

function enterInfo(answer: MethodsAnswer): void {
  byId('signed-in-as').textContent =
    session === undefined
      ? ''
      : format(t.signedInAs, { name: `${session.displayName} (${session.userPrincipalName})` });
  renderMethods(methodList, answer.methods, true);
  byId('no-methods').hidden = answer.methods.length > 0;
  placeAddPanel('info-slot');
  const focus = current !== 'info';
  showStep('info', focus);
  if (initialRules.length === 0) void loadRules();
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

function placeAddPanel(slot: 'register-slot' | 'info-slot'): void {
  const target = byId(slot);
  if (addPanel.parentElement !== target) {
    target.append(addPanel);
    addDetail.replaceChildren();
  }
  addPanel.hidden = false;
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

function addEmail(): void {
  const heading = el('h3', { id: 'email-heading', tabIndex: -1 }, t.add_email);
  const codeBox = el('div', { hidden: true }, codeInput('email-code'));
  const submit = el('button', { type: 'submit' }, t.sendCode);
  let sent = false;
  const form = panelForm(
    'email-heading',
    async () => {
      const address = byId<HTMLInputElement>('email-address').value.trim();
      if (!sent) {
        await api('POST', '/me/methods/email', { email: address });
        sent = true;
        codeBox.hidden = false;
        setRequired(form, 'email-code', true);
        submit.textContent = t.verify;
        resend.hidden = false;
        announce(format(t.emailCodeSent, { address }));
        byId('email-code').focus();
        return;
      }
      await api('POST', '/me/methods/email/verify', {
        code: byId<HTMLInputElement>('email-code').value.trim(),
      });
      await registered('email');
    },
    heading,
    textField('email-address', t.emailAddress, {
      type: 'email',
      autocomplete: 'email',
      maxLength: 254,
    }),
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
    byId<HTMLInputElement>('email-code').value = '';
    setRequired(form, 'email-code', false);
    form.requestSubmit(submit);
  });
  form.append(resend);
  // The code field is only required once the code was sent.
  setRequired(form, 'email-code', false);
  addDetail.append(form);
  heading.focus();
}

function addPhone(type: 'mobile' | 'office'): void {
  const heading = el('h3', { id: 'phone-heading', tabIndex: -1 }, t[`add_${type}`]);
  const codeBox = el('div', { hidden: true }, codeInput('phone-code'));
  const submit = el('button', { type: 'submit' }, t.sendCode);
  let sent = false;
  const form = panelForm(
    'phone-heading',
    async () => {
      if (!sent) {
        const answer = await api<{ phoneNumber: string; delivery: 'sms' | 'voice' }>(
          'POST',
          '/me/methods/phone',
          { type, phoneNumber: byId<HTMLInputElement>('phone-number').value.trim() },
        );
        sent = true;
        codeBox.hidden = false;
        setRequired(form, 'phone-code', true);
        submit.textContent = t.verify;
        resend.hidden = false;
        announce(format(t[`phoneCodeSent_${answer.delivery}`], { number: answer.phoneNumber }));
        byId('phone-code').focus();
        return;
      }
      await api('POST', '/me/methods/phone/verify', {
        code: byId<HTMLInputElement>('phone-code').value.trim(),
      });
      await registered(type === 'mobile' ? 'sms' : 'officePhone');
    },
    heading,
    textField(
      'phone-number',
      t.phoneNumber,
      { type: 'tel', autocomplete: 'tel', maxLength: 32 },
      t.phoneHelp,
    ),
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
    byId<HTMLInputElement>('phone-code').value = '';
    setRequired(form, 'phone-code', false);
    form.requestSubmit(submit);
  });
  form.append(resend);
  setRequired(form, 'phone-code', false);
  addDetail.append(form);
  heading.focus();
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
const newPassword = byId<HTMLInputElement>('new-password');
const confirmPassword = byId<HTMLInputElement>('confirm-password');
const mismatch = byId('mismatch');
const checklist = createChecklist(
  byId('rule-list'),
  t,
  () => (session === undefined ? {} : { userId: session.userPrincipalName }),
  () => initialRules,
);

async function loadRules(): Promise<void> {
  try {
    const answer = await api<{ policy: readonly RuleDescription[] }>('POST', '/password/check', {
      password: '',
      ...(session === undefined ? {} : { userId: session.userPrincipalName }),
    });
    initialRules = answer.policy;
    if (newPassword.value.length === 0) checklist.render(initialRules);
  } catch {
    // Advisory only: the change itself reports the rules that failed.
  }
}

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

passwordForm.addEventListener('submit', (event) => {
  event.preventDefault();
  for (const input of [currentPassword, newPassword]) {
    if (input.value.length === 0) {
      input.focus();
      return;
    }
  }
  if (updateMismatch() || confirmPassword.value !== newPassword.value) {
    mismatch.hidden = false;
    confirmPassword.focus();
    return;
  }
  setBusy(passwordForm, true);
  announce(t.working);
  void (async () => {
    try {
      await api('POST', '/me/password', {
        currentPassword: currentPassword.value,
        newPassword: newPassword.value,
      });
      for (const input of [currentPassword, newPassword, confirmPassword]) input.value = '';
      checklist.render(initialRules);
      announce(t.passwordChanged);
    } catch (error) {
      const details =
        error instanceof ApiError
          ? (error.details as { rules?: RuleResult[] } | undefined)
          : undefined;
      if (details !== undefined && Array.isArray(details.rules)) checklist.apply(details.rules);
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
