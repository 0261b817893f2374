/** Users: search with cursor paging (GET /admin/users) and one user's details (GET /admin/users/{id}). */
import { api } from '../shared/api.js';
import { el, setBusy } from '../shared/dom.js';
import { createPager, facts, scroller, table, type CursorPage } from '../shared/table.js';
import type { AdminContext } from './context.js';
import { format, type MessageKey, type Messages } from './i18n.js';
import { createStatus, formatTime, yesNo } from './ui.js';

interface UserView {
  readonly id: string;
  readonly userPrincipalName: string;
  readonly displayName: string;
  readonly source: 'cloud' | 'directory';
  readonly accountEnabled: boolean;
  readonly email: string | null;
  readonly mobilePhone: string | null;
  readonly officePhone: string | null;
  readonly roles: readonly string[];
  readonly createdAt: string;
  readonly passwordChangedAt: string | null;
  readonly directory: {
    readonly dn: string | null;
    readonly accountName: string | null;
    readonly lastSyncedAt: string | null;
    readonly state: {
      readonly locked: boolean;
      readonly expired: boolean;
      readonly mustChange: boolean;
      readonly protected: boolean;
    } | null;
  } | null;
}

interface UserDetail extends UserView {
  readonly methods: readonly {
    readonly id: string;
    readonly method: string;
    readonly createdAt: string;
  }[];
  readonly groups?: readonly (string | { readonly id: string; readonly displayName?: string })[];
  readonly sspr?: {
    readonly capable: boolean;
    readonly reason: { readonly code: string; readonly reason: string } | null;
    readonly usableMethods: readonly string[];
  };
}

/** The last search, kept while the admin opens a user and comes back. */
let lastSearch = '';

export function roleLabel(t: Messages, role: string): string {
  const key = `role_${role}` as MessageKey;
  return key in t ? t[key] : role;
}

function methodName(t: Messages, method: string): string {
  const key = `method_${method}` as MessageKey;
  return key in t ? t[key] : method;
}

function sourceLabel(t: Messages, source: string): string {
  return source === 'directory' ? t.sourceDirectory : t.sourceCloud;
}

export async function renderUsers(ctx: AdminContext, container: HTMLElement): Promise<void> {
  const t = ctx.t;
  const status = createStatus(t);
  const input = el('input', {
    type: 'search',
    id: 'user-search',
    value: lastSearch,
    maxLength: 256,
    autocomplete: 'off',
  });
  const form = el(
    'form',
    { noValidate: true, className: 'inline-form' },
    el('label', { htmlFor: 'user-search' }, t.searchUsers),
    el('div', { className: 'row' }, input, el('button', { type: 'submit' }, t.search)),
  );
  form.setAttribute('role', 'search');
  const results = table(
    t.usersTableCaption,
    [t.displayName, t.userPrincipalName, t.source, t.accountState, t.roles],
    [],
  );
  const body = results.tBodies[0] ?? results.createTBody();
  const count = el('p', { className: 'help' });
  const pager = createPager(
    body,
    t.loadMore,
    async (cursor) => {
      const params = new URLSearchParams({ limit: '25' });
      if (lastSearch.length > 0) params.set('search', lastSearch);
      if (cursor !== null) params.set('cursor', cursor);
      const page = await api<CursorPage<UserView>>('GET', `/admin/users?${params.toString()}`);
      return {
        nextCursor: page.nextCursor,
        rows: page.items.map((u) => [
          el('a', { href: `#/users/${encodeURIComponent(u.id)}` }, u.displayName),
          u.userPrincipalName,
          sourceLabel(t, u.source),
          u.accountEnabled ? t.enabled : t.disabled,
          u.roles.map((r) => roleLabel(t, r)).join(', ') || '—',
        ]),
      };
    },
    (error) => {
      status.error(error);
    },
  );
  const more = pager.more;
  const load = async (fresh: boolean): Promise<void> => {
    await pager.load(fresh);
    count.textContent =
      pager.shown() === 0 ? t.noUsers : format(t.usersShown, { n: pager.shown() });
  };
  container.replaceChildren(
    form,
    count,
    scroller(t.usersTableCaption, results),
    more,
    status.element,
  );

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    lastSearch = input.value.trim();
    setBusy(form, true);
    void load(true)
      .then(() => {
        status.info(format(t.usersShown, { n: pager.shown() }));
      })
      .catch((error: unknown) => {
        status.error(error);
      })
      .finally(() => {
        setBusy(form, false);
      });
  });
  await load(true);
}

export async function renderUserDetail(
  ctx: AdminContext,
  container: HTMLElement,
  heading: HTMLElement,
  id: string,
): Promise<void> {
  const t = ctx.t;
  const user = await api<UserDetail>('GET', `/admin/users/${encodeURIComponent(id)}`);
  heading.textContent = user.displayName;
  const dir = user.directory;
  const state = dir?.state ?? null;
  const rows: [string, string][] = [
    [t.userPrincipalName, user.userPrincipalName],
    [t.source, sourceLabel(t, user.source)],
    [t.accountState, user.accountEnabled ? t.enabled : t.disabled],
    [t.locked, state === null ? '—' : yesNo(t, state.locked)],
    [t.roles, user.roles.map((r) => roleLabel(t, r)).join(', ') || '—'],
    [t.email, user.email ?? '—'],
    [t.mobilePhone, user.mobilePhone ?? '—'],
    [t.officePhone, user.officePhone ?? '—'],
    [t.created, formatTime(user.createdAt)],
    [t.passwordChanged, formatTime(user.passwordChangedAt)],
  ];
  if (dir !== null) {
    rows.push(
      [t.directoryDn, dir.dn ?? '—'],
      [t.accountName, dir.accountName ?? '—'],
      [t.lastSynced, formatTime(dir.lastSyncedAt)],
    );
    if (state !== null)
      rows.push(
        [t.passwordExpired, yesNo(t, state.expired)],
        [t.mustChange, yesNo(t, state.mustChange)],
        [t.protectedAccount, yesNo(t, state.protected)],
      );
  }
  const sspr = user.sspr;
  const ssprPart =
    sspr === undefined
      ? []
      : [
          el('h2', {}, t.ssprState),
          facts([
            [t.ssprCapable, yesNo(t, sspr.capable)],
            [
              t.ssprReason,
              sspr.reason === null ? '—' : `${sspr.reason.code}: ${sspr.reason.reason}`,
            ],
            [t.usableMethods, sspr.usableMethods.map((m) => methodName(t, m)).join(', ') || '—'],
          ]),
        ];
  const groups = user.groups ?? [];
  container.replaceChildren(
    el('p', {}, el('a', { href: '#/users' }, t.backToUsers)),
    facts(rows),
    ...ssprPart,
    el('h2', {}, t.methodsRegistered),
    user.methods.length === 0
      ? el('p', {}, t.noMethodsRegistered)
      : table(
          t.methodsRegistered,
          [t.method, t.registeredAt],
          user.methods.map((m) => [methodName(t, m.method), formatTime(m.createdAt)]),
          { captionHidden: true },
        ),
    ...(groups.length > 0
      ? [
          el('h2', {}, t.groups),
          el(
            'ul',
            {},
            ...groups.map((g) => el('li', {}, typeof g === 'string' ? g : (g.displayName ?? g.id))),
          ),
        ]
      : []),
  );
}
