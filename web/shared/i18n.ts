/** Language choice and message formatting shared by the employee pages (portal, account). */

/** `?lang=` first, then the browser's languages, then English — among the `available` ones. */
export function pickLanguageOf(
  search: string,
  preferred: readonly string[],
  available: readonly string[],
): string {
  const fromQuery = new URLSearchParams(search).get('lang');
  const candidates = [fromQuery ?? '', ...preferred];
  for (const candidate of candidates) {
    const base = candidate.toLowerCase().split('-')[0] ?? '';
    if (available.includes(base)) return base;
  }
  return 'en';
}

/** The browser's preferred languages, most preferred first. */
export function browserLanguages(): readonly string[] {
  return navigator.languages.length > 0 ? navigator.languages : [navigator.language];
}

/** Fills `{name}` placeholders. */
export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}
