/**
 * The organisation's branding on the employee pages (GET /sspr/settings): its name in the header
 * and the title, its logo, and its accent colour. CSP-safe: the colour is set as a CSS custom
 * property through element.style.setProperty (no style attribute in the HTML, no inline style).
 */
import { api } from './api.js';
import { byId } from './dom.js';
import { format } from './i18n.js';

export interface PublicSettings {
  readonly organizationName: string;
  readonly helpdeskLink: string | null;
  readonly accentColor?: string | null;
  readonly logoUrl?: string | null;
}

/** The anonymous settings; undefined when the server cannot be reached (the page still works). */
export async function loadSettings(): Promise<PublicSettings | undefined> {
  try {
    return await api<PublicSettings>('GET', '/sspr/settings');
  } catch {
    return undefined;
  }
}

function channel(value: number): number {
  const c = value / 255;
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}

/** WCAG relative luminance of `#rrggbb`, or null when it is not such a colour. */
export function luminance(hex: string): number | null {
  const match = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (match === null) return null;
  const [r, g, b] = [match[1], match[2], match[3]].map((part) => parseInt(part ?? '0', 16));
  return 0.2126 * channel(r ?? 0) + 0.7152 * channel(g ?? 0) + 0.0722 * channel(b ?? 0);
}

/** WCAG contrast ratio of two luminances. */
export function contrast(a: number, b: number): number {
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}

const WHITE = 1;
const NEAR_BLACK = luminance('#111111') ?? 0;

/**
 * The custom properties for an accent colour: the accent itself, the text colour on it (white or
 * near-black, whichever contrasts more), and a link/focus colour that stays readable on a white
 * page (the accent when it reaches 4.5:1 on white, otherwise the default blue).
 */
export function accentProperties(accent: string): Record<string, string> | null {
  const lum = luminance(accent);
  if (lum === null) return null;
  const onAccent = contrast(WHITE, lum) >= contrast(NEAR_BLACK, lum) ? '#ffffff' : '#111111';
  const readableOnWhite = contrast(WHITE, lum) >= 4.5;
  return {
    '--accent': accent,
    '--accent-text': onAccent,
    '--accent-link': readableOnWhite ? accent : '#0b5cad',
  };
}

/**
 * Applies the branding to the page: `#brand-name` (text), `#brand-logo` (an <img> whose alt is the
 * organisation's name), the document title ("<page title> – <organisation>") and the accent.
 */
export function applyBranding(settings: PublicSettings, pageTitle: string): void {
  const name = settings.organizationName;
  document.title = name.length > 0 ? `${pageTitle} – ${name}` : pageTitle;
  const nameNode = document.getElementById('brand-name');
  if (nameNode !== null) nameNode.textContent = name;
  const logo = document.getElementById('brand-logo');
  if (logo instanceof HTMLImageElement) {
    if (typeof settings.logoUrl === 'string' && settings.logoUrl.startsWith('/')) {
      logo.alt = name;
      logo.src = settings.logoUrl;
      logo.hidden = false;
      // With a logo, the name next to it would be read twice by a screen reader.
      nameNode?.setAttribute('aria-hidden', 'true');
    } else {
      logo.hidden = true;
      logo.removeAttribute('src');
      nameNode?.removeAttribute('aria-hidden');
    }
  }
  const properties =
    typeof settings.accentColor === 'string' ? accentProperties(settings.accentColor) : null;
  const root = document.documentElement;
  for (const property of ['--accent', '--accent-text', '--accent-link'])
    root.style.removeProperty(property);
  if (properties !== null)
    for (const [property, value] of Object.entries(properties))
      root.style.setProperty(property, value);
}

/** Fills the helpdesk link (email → mailto:, otherwise the URL) with `text`; false when none. */
export function applyHelpdeskLink(
  link: HTMLAnchorElement,
  helpdeskLink: string | null,
  text: string,
): boolean {
  if (helpdeskLink === null) return false;
  const isEmail = !/^https?:/i.test(helpdeskLink);
  link.href = isEmail ? `mailto:${helpdeskLink}` : helpdeskLink;
  link.textContent = text;
  return true;
}

/**
 * Loads the settings and brands an employee page: name, logo, accent, title, and `#helpdesk-link`
 * (Entra's "Contact your administrator"), worded with `messages.helpdesk` ("… {link}").
 */
export function brandPage(messages: { readonly title: string; readonly helpdesk: string }): void {
  void loadSettings().then((settings) => {
    if (settings === undefined) return;
    applyBranding(settings, messages.title);
    applyHelpdeskLink(
      byId<HTMLAnchorElement>('helpdesk-link'),
      settings.helpdeskLink,
      format(messages.helpdesk, { link: settings.helpdeskLink ?? '' }),
    );
  });
}
