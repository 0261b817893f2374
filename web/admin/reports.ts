/**
 * Usage & insights (product.md P9): registration (GET /admin/reports/registration: totals, method
 * mix, users with paging) and usage (GET /admin/reports/usage: resets, unlocks, changes and
 * registrations per day, by method and failure reasons, for a date range), as SVG charts with
 * data tables.
 */
import { api } from '../shared/api.js';
import { el, setBusy } from '../shared/dom.js';
import { barChart, lineChart } from './chart.js';
import type { AdminContext } from './context.js';
import { format, type MessageKey, type Messages } from './i18n.js';
import { createPager, facts, scroller, table } from '../shared/table.js';
import { createStatus, field, yesNo } from './ui.js';

interface RegistrationReport {
  readonly generatedAt: string;
  readonly summary: {
    readonly users: number;
    readonly registered: number;
    readonly enabled: number;
    readonly capable: number;
  };
  readonly methods: readonly { readonly method: string; readonly users: number }[];
  readonly users: readonly {
    readonly id: string;
    readonly userPrincipalName: string;
    readonly displayName: string;
    readonly source: string;
    readonly enabled: boolean;
    readonly registered: boolean;
    readonly capable: boolean;
    readonly methods: readonly string[];
  }[];
  readonly nextCursor: string | null;
}

interface UsageReport {
  readonly from: string;
  readonly to: string;
  readonly days: readonly {
    readonly date: string;
    readonly resets: number;
    readonly unlocks: number;
    readonly changes: number;
    readonly registrations: number;
    readonly failures: number;
  }[];
  readonly byMethod: readonly {
    readonly method: string;
    readonly successes: number;
    readonly failures: number;
  }[];
  readonly failureReasons: readonly { readonly code: string; readonly count: number }[];
  readonly totals: {
    readonly resets: number;
    readonly unlocks: number;
    readonly changes: number;
    readonly registrations: number;
    readonly failures: number;
  };
}

function methodName(t: Messages, method: string): string {
  const key = `method_${method}` as MessageKey;
  return key in t ? t[key] : method;
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

async function renderRegistration(ctx: AdminContext, box: HTMLElement): Promise<void> {
  const t = ctx.t;
  const status = createStatus(t);
  const summary = el('div');
  const chartBox = el('div');
  const users = table(
    t.registrationUsersCaption,
    [
      t.displayName,
      t.userPrincipalName,
      t.ssprEnabled,
      t.ssprRegistered,
      t.ssprCapable,
      t.methodsRegistered,
    ],
    [],
  );
  const body = users.tBodies[0] ?? users.createTBody();
  const pager = createPager(
    body,
    t.loadMore,
    async (cursor) => {
      const params = new URLSearchParams({ limit: '50' });
      if (cursor !== null) params.set('cursor', cursor);
      const report = await api<RegistrationReport>(
        'GET',
        `/admin/reports/registration?${params.toString()}`,
      );
      if (cursor === null) {
        const s = report.summary;
        summary.replaceChildren(
          facts([
            [t.totalUsers, String(s.users)],
            [t.ssprEnabled, String(s.enabled)],
            [t.ssprRegistered, String(s.registered)],
            [t.ssprCapable, String(s.capable)],
          ]),
        );
        chartBox.replaceChildren(
          barChart({
            title: t.methodMixTitle,
            categoryHeader: t.method,
            categories: report.methods.map((m) => methodName(t, m.method)),
            series: [{ name: t.usersCount, values: report.methods.map((m) => m.users) }],
            tableLabel: t.showData,
          }),
        );
      }
      return {
        nextCursor: report.nextCursor,
        rows: report.users.map((u) => [
          u.displayName,
          u.userPrincipalName,
          yesNo(t, u.enabled),
          yesNo(t, u.registered),
          yesNo(t, u.capable),
          u.methods.map((m) => methodName(t, m)).join(', ') || '—',
        ]),
      };
    },
    (error) => {
      status.error(error);
    },
  );
  box.replaceChildren(
    el('h2', {}, t.registrationHeading),
    summary,
    chartBox,
    el('h3', {}, t.registrationUsersCaption),
    scroller(t.registrationUsersCaption, users),
    pager.more,
    status.element,
  );
  try {
    await pager.load(true);
  } catch (error) {
    status.error(error);
  }
}

async function renderUsage(ctx: AdminContext, box: HTMLElement): Promise<void> {
  const t = ctx.t;
  const status = createStatus(t);
  const today = new Date();
  const monthAgo = new Date(today.getTime() - 29 * 86_400_000);
  const from = field(
    t.fromDate,
    el('input', { type: 'date', id: 'usage-from', value: isoDay(monthAgo) }),
  );
  const to = field(t.toDate, el('input', { type: 'date', id: 'usage-to', value: isoDay(today) }));
  const form = el(
    'form',
    { noValidate: true, className: 'filters' },
    el('div', { className: 'filter-grid' }, from.wrapper, to.wrapper),
    el('div', { className: 'actions' }, el('button', { type: 'submit' }, t.show)),
  );
  const output = el('div');
  box.replaceChildren(el('h2', {}, t.usageHeading), form, status.element, output);

  const load = async (): Promise<void> => {
    from.setError(null);
    to.setError(null);
    const f = from.control.value;
    const tt = to.control.value;
    const valid = (v: string): boolean => /^\d{4}-\d{2}-\d{2}$/.test(v);
    if (!valid(f)) from.setError(t.dateInvalid);
    if (!valid(tt)) to.setError(t.dateInvalid);
    if (!valid(f) || !valid(tt)) return;
    if (f > tt) {
      to.setError(t.dateOrder);
      return;
    }
    const days = (Date.parse(tt) - Date.parse(f)) / 86_400_000 + 1;
    if (days > 366) {
      to.setError(t.rangeTooLong);
      return;
    }
    const params = new URLSearchParams({ from: `${f}T00:00:00.000Z`, to: `${tt}T23:59:59.999Z` });
    const report = await api<UsageReport>('GET', `/admin/reports/usage?${params.toString()}`);
    const tot = report.totals;
    output.replaceChildren(
      facts([
        [t.resets, String(tot.resets)],
        [t.unlocks, String(tot.unlocks)],
        [t.changes, String(tot.changes)],
        [t.registrations, String(tot.registrations)],
        [t.failures, String(tot.failures)],
      ]),
      lineChart({
        title: format(t.perDayTitle, { from: f, to: tt }),
        categoryHeader: t.date,
        categories: report.days.map((d) => d.date),
        series: [
          { name: t.resets, values: report.days.map((d) => d.resets) },
          { name: t.unlocks, values: report.days.map((d) => d.unlocks) },
          { name: t.changes, values: report.days.map((d) => d.changes) },
          { name: t.registrations, values: report.days.map((d) => d.registrations) },
          { name: t.failures, values: report.days.map((d) => d.failures) },
        ],
        tableLabel: t.showData,
      }),
      report.byMethod.length === 0
        ? el('p', {}, t.noMethodUse)
        : barChart({
            title: t.byMethodTitle,
            categoryHeader: t.method,
            categories: report.byMethod.map((m) => methodName(t, m.method)),
            series: [
              { name: t.successes, values: report.byMethod.map((m) => m.successes) },
              { name: t.failures, values: report.byMethod.map((m) => m.failures) },
            ],
            tableLabel: t.showData,
          }),
      report.failureReasons.length === 0
        ? el('p', {}, t.noFailures)
        : barChart({
            title: t.failureReasonsTitle,
            categoryHeader: t.reason,
            categories: report.failureReasons.map((r) => r.code),
            series: [{ name: t.count, values: report.failureReasons.map((r) => r.count) }],
            tableLabel: t.showData,
          }),
    );
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    setBusy(form, true);
    status.info(t.loading);
    void load()
      .then(() => {
        status.clear();
      })
      .catch((error: unknown) => {
        status.error(error);
      })
      .finally(() => {
        setBusy(form, false);
      });
  });
  try {
    await load();
  } catch (error) {
    status.error(error);
  }
}

export async function renderReports(ctx: AdminContext, container: HTMLElement): Promise<void> {
  const usage = el('section', { className: 'report' });
  const registration = el('section', { className: 'report' });
  container.replaceChildren(usage, registration);
  await Promise.all([renderUsage(ctx, usage), renderRegistration(ctx, registration)]);
}
