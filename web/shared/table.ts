/**
 * Data tables shared by the pages: a captioned table, rows appended as pages arrive, a
 * keyboard-scrollable wrapper for wide tables, and a cursor pager ("Load more"). CSP-safe.
 */
import { attrs, el } from './dom.js';

export type Row = readonly (string | Node)[];

/** A table with a caption, header row and body rows (cells are text or nodes). */
export function table(
  caption: string,
  headers: readonly string[],
  rows: readonly Row[],
  options: { captionHidden?: boolean } = {},
): HTMLTableElement {
  const captionEl = el('caption', {}, caption);
  if (options.captionHidden === true) captionEl.className = 'visually-hidden';
  const head = el(
    'thead',
    {},
    el('tr', {}, ...headers.map((h) => attrs(el('th', {}, h), { scope: 'col' }))),
  );
  const body = el('tbody');
  appendRows(body, rows);
  return el('table', { className: 'data' }, captionEl, head, body);
}

export function appendRows(body: HTMLTableSectionElement, rows: readonly Row[]): void {
  for (const row of rows) body.append(el('tr', {}, ...row.map((cell) => el('td', {}, cell))));
}

/** A scroll container for wide tables (keyboard-focusable so it can be scrolled without a mouse). */
export function scroller(label: string, content: HTMLElement): HTMLElement {
  return attrs(el('div', { className: 'table-scroll', tabIndex: 0 }, content), {
    role: 'region',
    'aria-label': label,
  });
}

/** One page of a cursor-paged admin API list (GET /admin/users, /admin/audit …). */
export interface CursorPage<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

export interface PageOfRows {
  readonly rows: readonly Row[];
  /** null on the last page. */
  readonly nextCursor: string | null;
}

export interface Pager {
  /** The "Load more" button (hidden while there is no next page); place it under the table. */
  readonly more: HTMLButtonElement;
  /** Rows shown so far. */
  readonly shown: () => number;
  /** The first page again (`fresh`, emptying the table) or the next one. */
  load(fresh: boolean): Promise<void>;
}

/**
 * A cursor-paged table body: `fetchPage(cursor)` answers one page (cursor null: the first);
 * "Load more" appends the next, its errors go to `onError`.
 */
export function createPager(
  body: HTMLTableSectionElement,
  moreLabel: string,
  fetchPage: (cursor: string | null) => Promise<PageOfRows>,
  onError: (error: unknown) => void,
): Pager {
  const more = el('button', { type: 'button', className: 'secondary', hidden: true }, moreLabel);
  let cursor: string | null = null;
  let shown = 0;
  const pager: Pager = {
    more,
    shown: () => shown,
    async load(fresh) {
      const page = await fetchPage(fresh ? null : cursor);
      if (fresh) {
        body.replaceChildren();
        shown = 0;
      }
      appendRows(body, page.rows);
      shown += page.rows.length;
      cursor = page.nextCursor;
      more.hidden = cursor === null;
    },
  };
  more.addEventListener('click', () => {
    more.disabled = true;
    void pager
      .load(false)
      .catch(onError)
      .finally(() => {
        more.disabled = false;
      });
  });
  return pager;
}

/** A definition list from label/value pairs. */
export function facts(pairs: readonly (readonly [string, string | Node])[]): HTMLDListElement {
  const list = el('dl', { className: 'facts' });
  for (const [term, value] of pairs) list.append(el('dt', {}, term), el('dd', {}, value));
  return list;
}
