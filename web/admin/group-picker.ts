/**
 * A group picker for the policy forms that name a group by id (Properties' selected group, the
 * administrator roles from groups): a "Find a group" search over GET /admin/groups (debounced),
 * its results as a list of buttons under a polite live count, and the chosen group's name shown
 * next to the id field. The id field stays editable (for pasting ids); the picker only fills it.
 * Keyboard: Enter searches at once, ArrowDown/ArrowUp move between the results, Escape closes them.
 * CSP-safe: elements and text nodes only.
 */
import { api } from '../shared/api.js';
import { attrs, el, uid } from '../shared/dom.js';
import { format, type Messages } from './i18n.js';
import { errorMessage, field } from './ui.js';

/** One item of GET /admin/groups. */
export interface GroupSummary {
  readonly id: string;
  readonly displayName: string;
  readonly source: 'cloud' | 'directory';
  readonly directoryDn: string | null;
}

interface GroupPage {
  readonly items: readonly GroupSummary[];
  readonly nextCursor: string | null;
}

/** Waits this long after the last keystroke before searching. */
export const SEARCH_DEBOUNCE_MS = 300;
const RESULTS_LIMIT = 10;
/** The one lookup for names of already-saved ids (search by id is not supported). */
const LOOKUP_LIMIT = 200;

/** "SSPR helpdesk (cloud)". */
export function groupLabel(t: Messages, group: GroupSummary): string {
  return `${group.displayName} (${t[`groupSource_${group.source}`]})`;
}

/**
 * Known groups by id: filled by one GET /admin/groups (the first page) and by every search, so
 * saved and chosen ids can be shown with their names. Unknown ids stay ids.
 */
export interface GroupNames {
  get(id: string): GroupSummary | undefined;
  remember(groups: readonly GroupSummary[]): void;
  /** Loads the first page once; calls `onLoad` when names arrived (never throws). */
  load(onLoad: () => void): void;
}

export function createGroupNames(): GroupNames {
  const known = new Map<string, GroupSummary>();
  let loaded = false;
  const remember = (groups: readonly GroupSummary[]): void => {
    for (const g of groups) known.set(g.id, g);
  };
  return {
    get: (id) => known.get(id),
    remember,
    load: (onLoad) => {
      if (loaded) return;
      loaded = true;
      void api<GroupPage>('GET', `/admin/groups?limit=${String(LOOKUP_LIMIT)}`)
        .then((page) => {
          remember(page.items);
          onLoad();
        })
        .catch(() => {
          // Names are a convenience: without them the ids are shown as they are.
        });
    },
  };
}

export interface GroupPicker {
  /** The search field, the live count and the results. */
  readonly node: HTMLElement;
  /** Shows the name of the group whose id is in the id field (call after changing it). */
  readonly refresh: () => void;
}

/**
 * Binds a picker to `idInput`: choosing a result puts its id there, moves focus there and shows
 * the group's name in a line after the input (added to its description).
 */
export function groupPicker(
  t: Messages,
  idInput: HTMLInputElement,
  names: GroupNames,
  onChoose?: (group: GroupSummary) => void,
): GroupPicker {
  const search = el('input', {
    type: 'search',
    maxLength: 256,
    autocomplete: 'off',
    spellcheck: false,
  });
  const searchField = field(t.findGroup, search, t.findGroupHelp);
  const count = attrs(el('p', { className: 'group-count' }), { 'aria-live': 'polite' });
  const list = attrs(el('ul', { className: 'group-results', hidden: true }), {
    'aria-label': t.groupResults,
  });
  const chosen = el('p', { className: 'chosen-group', id: uid('chosen'), hidden: true });
  idInput.insertAdjacentElement('afterend', chosen);
  idInput.setAttribute(
    'aria-describedby',
    [idInput.getAttribute('aria-describedby') ?? '', chosen.id].join(' ').trim(),
  );

  const refresh = (): void => {
    const group = names.get(idInput.value.trim());
    chosen.hidden = group === undefined;
    chosen.textContent =
      group === undefined
        ? ''
        : format(t.chosenGroup, {
            name: group.displayName,
            source: t[`groupSource_${group.source}`],
          });
  };
  idInput.addEventListener('input', refresh);

  const close = (): void => {
    list.replaceChildren();
    list.hidden = true;
  };
  const choose = (group: GroupSummary): void => {
    idInput.value = group.id;
    refresh();
    close();
    search.value = '';
    count.textContent = '';
    onChoose?.(group);
    idInput.focus();
  };

  let timer: ReturnType<typeof setTimeout> | undefined;
  let latest = 0;
  const run = (): void => {
    clearTimeout(timer);
    const text = search.value.trim();
    const ticket = ++latest;
    if (text.length === 0) {
      close();
      count.textContent = '';
      return;
    }
    const query = new URLSearchParams({ search: text, limit: String(RESULTS_LIMIT) });
    void api<GroupPage>('GET', `/admin/groups?${query.toString()}`)
      .then((page) => {
        if (ticket !== latest) return; // an older answer after a newer search
        names.remember(page.items);
        list.replaceChildren(
          ...page.items.map((group) => {
            const label = groupLabel(t, group);
            const button = el(
              'button',
              { type: 'button', className: 'secondary group-result' },
              label,
              ...(group.directoryDn === null
                ? []
                : [el('span', { className: 'group-dn' }, group.directoryDn)]),
            );
            button.setAttribute(
              'aria-label',
              format(t.selectGroup, {
                name: group.displayName,
                source: t[`groupSource_${group.source}`],
              }),
            );
            button.addEventListener('click', () => {
              choose(group);
            });
            return el('li', {}, button);
          }),
        );
        list.hidden = page.items.length === 0;
        const n = page.items.length;
        count.textContent =
          n === 0 ? t.noGroupsFound : n === 1 ? t.groupFound : format(t.groupsFound, { n });
        refresh();
      })
      .catch((error: unknown) => {
        if (ticket !== latest) return;
        close();
        count.textContent = format(t.groupSearchFailed, { message: errorMessage(t, error) });
      });
  };

  search.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, SEARCH_DEBOUNCE_MS);
  });
  const buttons = (): HTMLButtonElement[] => Array.from(list.querySelectorAll('button'));
  search.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') {
      // Searches now instead of submitting the surrounding form.
      event.preventDefault();
      run();
    } else if (event.key === 'ArrowDown') {
      const first = buttons()[0];
      if (first !== undefined) {
        event.preventDefault();
        first.focus();
      }
    } else if (event.key === 'Escape' && !list.hidden) {
      event.preventDefault();
      close();
      count.textContent = '';
    }
  });
  list.addEventListener('keydown', (event) => {
    const all = buttons();
    const index = all.findIndex((b) => b === document.activeElement);
    if (index < 0) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const next = event.key === 'ArrowDown' ? all[index + 1] : all[index - 1];
      (next ?? (event.key === 'ArrowUp' ? search : all[index]))?.focus();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      close();
      count.textContent = '';
      search.focus();
    }
  });

  refresh();
  return {
    node: el('div', { className: 'group-picker' }, searchField.wrapper, count, list),
    refresh,
  };
}
