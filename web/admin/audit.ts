/**
 * Audit logs (product.md P9): filters, a cursor-paged table (GET /admin/audit) and CSV / JSON
 * downloads of everything that matches (GET /admin/audit/export, a plain link: the session cookie
 * goes with it).
 */
// Entra's activity names: the server's own list (a pure module without imports; esbuild bundles it).
import { auditActivities } from '../../src/domain/model/audit-event.js';
import { API, api } from '../shared/api.js';
import { attrs, el, setBusy } from '../shared/dom.js';
import { createPager, scroller, table, type CursorPage, type Row } from '../shared/table.js';
import type { AdminContext } from './context.js';
import { format, type Messages } from './i18n.js';
import { createStatus, field, formatTime } from './ui.js';

interface AuditEvent {
  readonly id: string;
  readonly occurredAt: string;
  readonly activity: string;
  readonly result: 'success' | 'failure';
  readonly resultReason: string | null;
  readonly correlationId: string;
  readonly actorUpn: string | null;
  readonly targetUpn: string | null;
  readonly ip: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

/** "2026-11-22" from a date input → the ISO bounds of that UTC day. */
function dayStart(value: string): string | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00.000Z` : undefined;
}
function dayEnd(value: string): string | undefined {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59.999Z` : undefined;
}

/** One audit event as a table row. */
function eventRow(t: Messages, e: AuditEvent): Row {
  const reason: (string | Node)[] = [e.resultReason ?? ''];
  if (Object.keys(e.details).length > 0)
    reason.push(
      el(
        'details',
        {},
        el('summary', {}, t.details),
        el('pre', {}, JSON.stringify(e.details, null, 2)),
      ),
    );
  return [
    formatTime(e.occurredAt),
    e.activity,
    el(
      'span',
      { className: e.result === 'success' ? 'badge ok' : 'badge fail' },
      e.result === 'success' ? t.resultSuccess : t.resultFailure,
    ),
    e.actorUpn ?? '—',
    e.targetUpn ?? '—',
    el('div', {}, ...reason),
    el('code', {}, e.correlationId),
  ];
}

export async function renderAudit(ctx: AdminContext, container: HTMLElement): Promise<void> {
  const t = ctx.t;
  const status = createStatus(t);
  const from = field(t.fromDate, el('input', { type: 'date', id: 'audit-from' }));
  const to = field(t.toDate, el('input', { type: 'date', id: 'audit-to' }));
  const activity = el(
    'select',
    { id: 'audit-activity' },
    el('option', { value: '' }, t.allActivities),
  );
  for (const name of auditActivities) activity.append(el('option', { value: name }, name));
  const activityField = field(t.activity, activity);
  const user = field(
    t.user,
    el('input', { type: 'text', id: 'audit-user', maxLength: 256, autocomplete: 'off' }),
  );
  const result = el(
    'select',
    { id: 'audit-result' },
    el('option', { value: '' }, t.anyResult),
    el('option', { value: 'success' }, t.resultSuccess),
    el('option', { value: 'failure' }, t.resultFailure),
  );
  const resultField = field(t.result, result);
  const correlation = field(
    t.correlationId,
    el('input', { type: 'text', id: 'audit-correlation', maxLength: 100, autocomplete: 'off' }),
  );
  const apply = el('button', { type: 'submit' }, t.applyFilters);
  const reset = el('button', { type: 'reset', className: 'secondary' }, t.clearFilters);
  const form = el(
    'form',
    { noValidate: true, className: 'filters' },
    el(
      'div',
      { className: 'filter-grid' },
      from.wrapper,
      to.wrapper,
      activityField.wrapper,
      user.wrapper,
      resultField.wrapper,
      correlation.wrapper,
    ),
    el('div', { className: 'actions' }, apply, reset),
  );
  const csv = attrs(el('a', { className: 'button-link' }, t.downloadCsv), { download: '' });
  const json = attrs(el('a', { className: 'button-link' }, t.downloadJson), { download: '' });
  const results = table(
    t.auditTableCaption,
    [t.date, t.activity, t.result, t.initiatedBy, t.target, t.reason, t.correlationId],
    [],
  );
  const body = results.tBodies[0] ?? results.createTBody();
  const count = el('p', { className: 'help' });
  let current = new URLSearchParams();
  const pager = createPager(
    body,
    t.loadMore,
    async (cursor) => {
      const params = new URLSearchParams(current);
      params.set('limit', '50');
      if (cursor !== null) params.set('cursor', cursor);
      const page = await api<CursorPage<AuditEvent>>('GET', `/admin/audit?${params.toString()}`);
      return { nextCursor: page.nextCursor, rows: page.items.map((e) => eventRow(t, e)) };
    },
    (error) => {
      status.error(error);
    },
  );
  const more = pager.more;
  container.replaceChildren(
    form,
    el('div', { className: 'downloads' }, csv, json),
    count,
    scroller(t.auditTableCaption, results),
    more,
    status.element,
  );

  const filters = (): { params: URLSearchParams; problems: boolean } => {
    const params = new URLSearchParams();
    let problems = false;
    from.setError(null);
    to.setError(null);
    const f = from.control.value;
    const tt = to.control.value;
    if (f !== '') {
      const iso = dayStart(f);
      if (iso === undefined) {
        from.setError(t.dateInvalid);
        problems = true;
      } else params.set('from', iso);
    }
    if (tt !== '') {
      const iso = dayEnd(tt);
      if (iso === undefined) {
        to.setError(t.dateInvalid);
        problems = true;
      } else params.set('to', iso);
    }
    if (f !== '' && tt !== '' && f > tt) {
      to.setError(t.dateOrder);
      problems = true;
    }
    if (activity.value !== '') params.set('activity', activity.value);
    const u = user.control.value.trim();
    if (u !== '') params.set('user', u);
    if (result.value !== '') params.set('result', result.value);
    const c = correlation.control.value.trim();
    if (c !== '') params.set('correlationId', c);
    return { params, problems };
  };

  const setDownloads = (params: URLSearchParams): void => {
    for (const [link, fmt] of [
      [csv, 'csv'],
      [json, 'json'],
    ] as const) {
      const p = new URLSearchParams(params);
      p.set('format', fmt);
      link.href = `${API}/admin/audit/export?${p.toString()}`;
    }
  };

  const load = async (fresh: boolean): Promise<void> => {
    await pager.load(fresh);
    const shown = pager.shown();
    count.textContent = shown === 0 ? t.noEvents : format(t.eventsShown, { n: shown });
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const { params, problems } = filters();
    if (problems) {
      status.fail(t.fixFields);
      return;
    }
    current = params;
    setDownloads(current);
    setBusy(form, true);
    void load(true)
      .then(() => {
        status.info(format(t.eventsShown, { n: pager.shown() }));
      })
      .catch((error: unknown) => {
        status.error(error);
      })
      .finally(() => {
        setBusy(form, false);
      });
  });
  form.addEventListener('reset', () => {
    // After the browser has cleared the fields: show everything again.
    setTimeout(() => {
      form.requestSubmit();
    }, 0);
  });
  setDownloads(current);
  await load(true);
}
