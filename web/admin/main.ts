/**
 * The admin center (/admin): admin sign-in (password, then a TOTP or email code when asked), then
 * one page with hash routes (#/password-reset/properties, #/users, #/audit, #/usage …) and a nav
 * list marking the current section with aria-current. Talks only to the JSON API (/api/v1).
 * CSP-safe: no inline script or style, DOM built with elements and text nodes.
 */
import { api, ApiError, setNetworkErrorMessage } from '../shared/api.js';
import { byId, el, setBusy, translateStatic } from '../shared/dom.js';
import { pickLanguage } from '../shared/i18n.js';
import { createSecondStep } from '../shared/second-step.js';
import { renderAudit } from './audit.js';
import { createContext, type AdminContext, type SessionInfo } from './context.js';
import { DICTIONARIES, type MessageKey } from './i18n.js';
import { POLICY_SECTIONS, renderPolicySection, type PolicySection } from './policy.js';
import { renderReports } from './reports.js';
import { statusFor } from './ui.js';
import { renderUserDetail, renderUsers, roleLabel } from './users.js';

const { lang, t } = pickLanguage(DICTIONARIES);
document.documentElement.lang = lang;
translateStatic(t);
setNetworkErrorMessage(t.networkError);

/**
 * The "you cannot use the admin center" view: no admin role (SSPR_2002), or an admin not yet held
 * to the administrator policy (SSPR_2009: two methods; SSPR_2010: sign in again, ADR 0012).
 */
function showRefusal(code: 'SSPR_2002' | 'SSPR_2009' | 'SSPR_2010'): void {
  const texts = {
    SSPR_2002: [t.forbiddenHeading, t.forbiddenText],
    SSPR_2009: [t.adminMethodsHeading, t.adminMethodsText],
    SSPR_2010: [t.adminSignInAgainHeading, t.adminSignInAgainText],
  } as const;
  const [heading, text] = texts[code];
  byId('forbidden-heading').textContent = heading;
  byId('forbidden-text').textContent = text;
  const link = byId<HTMLAnchorElement>('forbidden-link');
  link.hidden = code !== 'SSPR_2009';
  link.href = `/account?lang=${lang}`;
  link.textContent = t.adminMethodsLink;
  showView('forbidden');
}

const status = statusFor(t, byId('status'), byId('status-message'), byId('support-code'));
const views = ['sign-in', 'second', 'forbidden', 'app'] as const;
type View = (typeof views)[number];

const nav = byId('admin-nav');
const menuToggle = byId<HTMLButtonElement>('menu-toggle');
const who = byId('who');

function showView(view: View, focus = true): void {
  for (const name of views) byId(`view-${name}`).hidden = name !== view;
  const signedIn = view === 'app';
  nav.hidden = !signedIn;
  menuToggle.hidden = !signedIn;
  if (focus) {
    const heading = byId(`view-${view}`).querySelector<HTMLElement>('h1');
    heading?.focus();
  }
}

// ---- sign-in ------------------------------------------------------------------------------------

let ctx: AdminContext | undefined;

async function loadSession(): Promise<void> {
  let session: SessionInfo;
  try {
    session = await api<SessionInfo>('GET', '/auth/session');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      // SSPR_2005: the password was right but the second step is still open.
      if (error.code === 'SSPR_2005') {
        showView('second');
        return;
      }
      who.hidden = true;
      showView('sign-in');
      byId('sign-in-user').focus();
      return;
    }
    throw error;
  }
  if (session.secondFactorRequired) {
    enterSecondStep(session);
    return;
  }
  byId('who-name').textContent = `${session.displayName} (${session.userPrincipalName})`;
  byId('who-roles').textContent =
    session.roles.length === 0 ? t.noRoles : session.roles.map((r) => roleLabel(t, r)).join(', ');
  who.hidden = false;
  if (session.roles.length === 0) {
    ctx = undefined;
    showRefusal('SSPR_2002');
    status.info('');
    return;
  }
  ctx = createContext(t, lang, session);
  if (location.hash === '' || location.hash === '#' || location.hash === '#/') {
    history.replaceState(null, '', '#/password-reset/properties');
  }
  await route(true);
}

const signInForm = byId<HTMLFormElement>('sign-in-form');
signInForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const user = byId<HTMLInputElement>('sign-in-user');
  const password = byId<HTMLInputElement>('sign-in-password');
  if (user.value.trim() === '') {
    user.focus();
    return;
  }
  if (password.value === '') {
    password.focus();
    return;
  }
  setBusy(signInForm, true);
  status.info(t.signingIn);
  void (async () => {
    try {
      const state = await api<SessionInfo>('POST', '/auth/sign-in', {
        userId: user.value.trim(),
        password: password.value,
      });
      password.value = '';
      status.info('');
      if (state.secondFactorRequired) enterSecondStep(state);
      else await loadSession();
    } catch (error) {
      status.error(error);
    } finally {
      setBusy(signInForm, false);
    }
  })();
});

const secondStep = createSecondStep<unknown>({
  labels: t,
  announce: (message) => {
    status.info(message);
  },
  showError: (error) => {
    status.error(error);
  },
  onVerified: async () => {
    status.info('');
    await loadSession();
  },
});

function enterSecondStep(state: SessionInfo): void {
  secondStep.enter(state.secondFactorMethods);
  showView('second');
}

function signOut(): void {
  void (async () => {
    try {
      await api('POST', '/auth/sign-out');
    } catch {
      // Signed out already (expired session): the sign-in form is what the admin needs anyway.
    }
    ctx = undefined;
    who.hidden = true;
    showView('sign-in');
    status.info(t.signedOut);
  })();
}
byId('sign-out').addEventListener('click', signOut);
byId('forbidden-sign-out').addEventListener('click', signOut);

// ---- navigation ---------------------------------------------------------------------------------

const sectionHeading = byId('section-heading');
const sectionBody = byId('section-body');

const sectionTitles: Record<PolicySection, MessageKey> = {
  properties: 'navProperties',
  'authentication-methods': 'navMethods',
  registration: 'navRegistration',
  notifications: 'navNotifications',
  customization: 'navCustomization',
  'on-premises': 'navOnPremises',
  'administrator-policy': 'navAdministrators',
};

function markCurrent(hash: string): void {
  for (const link of Array.from(nav.querySelectorAll<HTMLAnchorElement>('a[href^="#/"]'))) {
    const target = link.getAttribute('href') ?? '';
    const current = hash === target || hash.startsWith(`${target}/`);
    if (current) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

let renderSequence = 0;

async function route(initial = false): Promise<void> {
  const context = ctx;
  if (context === undefined) return;
  const hash = location.hash.length > 1 ? location.hash : '#/password-reset/properties';
  const parts = hash.slice(2).split('/').map(decodeURIComponent);
  const sequence = ++renderSequence;
  markCurrent(hash);
  showView('app', false);
  collapseMenu();
  status.info('');
  sectionBody.replaceChildren(el('p', { className: 'help' }, t.loading));
  let title: string;
  let render: () => Promise<void>;
  const [area, sub] = parts;
  if (area === 'password-reset' && POLICY_SECTIONS.includes(sub as PolicySection)) {
    const section = sub as PolicySection;
    title = `${t.navPasswordReset}: ${t[sectionTitles[section]]}`;
    render = () => renderPolicySection(context, sectionBody, section);
  } else if (area === 'users' && sub !== undefined && sub !== '') {
    title = t.userDetailHeading;
    render = () => renderUserDetail(context, sectionBody, sectionHeading, sub);
  } else if (area === 'users') {
    title = t.navUsers;
    render = () => renderUsers(context, sectionBody);
  } else if (area === 'audit') {
    title = t.navAudit;
    render = () => renderAudit(context, sectionBody);
  } else if (area === 'usage') {
    title = t.navUsage;
    render = () => renderReports(context, sectionBody);
  } else {
    title = t.notFoundHeading;
    render = async () => {
      sectionBody.replaceChildren(
        el('p', {}, t.notFoundText),
        el('p', {}, el('a', { href: '#/password-reset/properties' }, t.navProperties)),
      );
    };
  }
  sectionHeading.textContent = title;
  document.title = `${title} — ${t.title}`;
  // Keyboard and screen-reader users land on the new section's heading.
  if (!initial || document.activeElement === document.body) sectionHeading.focus();
  try {
    await render();
  } catch (error) {
    if (sequence !== renderSequence) return;
    sectionBody.replaceChildren();
    if (error instanceof ApiError && error.status === 401) {
      await loadSession();
      return;
    }
    if (
      error instanceof ApiError &&
      (error.code === 'SSPR_2002' || error.code === 'SSPR_2009' || error.code === 'SSPR_2010')
    ) {
      showRefusal(error.code);
      return;
    }
    status.error(error);
  }
}

window.addEventListener('hashchange', () => {
  void route();
});
// A link to the section already shown reloads it (no hashchange fires).
nav.addEventListener('click', (event) => {
  const link = (event.target as Element | null)?.closest('a');
  if (link !== null && link !== undefined && link.getAttribute('href') === location.hash) {
    event.preventDefault();
    void route();
  }
});

// Phone-sized screens: the nav collapses behind a Menu button (CSS shows it below 48rem).
function collapseMenu(): void {
  menuToggle.setAttribute('aria-expanded', 'false');
  nav.classList.remove('open');
}
menuToggle.addEventListener('click', () => {
  const open = menuToggle.getAttribute('aria-expanded') !== 'true';
  menuToggle.setAttribute('aria-expanded', String(open));
  nav.classList.toggle('open', open);
  if (open) nav.querySelector<HTMLAnchorElement>('a[aria-current="page"], a')?.focus();
});
nav.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && nav.classList.contains('open')) {
    collapseMenu();
    menuToggle.focus();
  }
});

void loadSession().catch((error: unknown) => {
  showView('sign-in');
  status.error(error);
});
