/** Small DOM helpers shared by the portal, the account page and the admin center (CSP-safe: no innerHTML, no styles). */

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed getElementById
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`missing #${id}`);
  return element as T;
}

/** Creates an element with properties and children (text children are text nodes, never HTML). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  Object.assign(element, props);
  element.append(...children);
  return element;
}

/** Disables a form's controls while a request runs and marks it aria-busy. */
export function setBusy(form: HTMLFormElement, busy: boolean): void {
  for (const element of Array.from(form.elements)) {
    if (
      element instanceof HTMLButtonElement ||
      element instanceof HTMLInputElement ||
      element instanceof HTMLSelectElement ||
      element instanceof HTMLTextAreaElement
    )
      element.disabled = busy;
  }
  form.setAttribute('aria-busy', String(busy));
}

/** Replaces the text of every `[data-i18n]` element with its translation. */
export function translateStatic(messages: Readonly<Record<string, string>>): void {
  for (const node of Array.from(document.querySelectorAll<HTMLElement>('[data-i18n]'))) {
    const key = node.dataset.i18n;
    const text = key === undefined ? undefined : messages[key];
    if (text !== undefined) node.textContent = text;
  }
}

/** Sets attributes (aria-*, data-*, role …) that have no DOM property; returns the element. */
export function attrs<T extends Element>(element: T, values: Record<string, string>): T {
  for (const [name, value] of Object.entries(values)) element.setAttribute(name, value);
  return element;
}

let idCounter = 0;
/** A page-unique element id. */
export function uid(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${String(idCounter)}`;
}
