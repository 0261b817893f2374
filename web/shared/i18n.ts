/**
 * Language choice, message formatting and the strings every page words the same way (portal,
 * account page, admin center). A page's dictionary spreads these in, then adds its own.
 */

/** Strings all three pages share, including the second sign-in step's text-message choice. */
export const COMMON = {
  en: {
    userId: 'User ID',
    working: 'Working…',
    sendCode: 'Send code',
    resendCode: 'Resend code',
    codeSent: 'We sent a code. Check your email.',
    codeSent_sms: 'We texted a code to your mobile phone.',
    code: 'Code',
    verify: 'Verify',
    supportCode: 'Support code: {code}',
    second_sms: 'Text a code to my mobile phone',
  },
  pl: {
    userId: 'Identyfikator użytkownika',
    working: 'Przetwarzanie…',
    sendCode: 'Wyślij kod',
    resendCode: 'Wyślij kod ponownie',
    codeSent: 'Wysłaliśmy kod. Sprawdź pocztę.',
    codeSent_sms: 'Wysłaliśmy kod SMS-em na Twój telefon komórkowy.',
    code: 'Kod',
    verify: 'Zweryfikuj',
    supportCode: 'Kod pomocy: {code}',
    second_sms: 'Wyślij kod SMS-em na mój telefon komórkowy',
  },
  de: {
    userId: 'Benutzer-ID',
    working: 'Wird bearbeitet…',
    sendCode: 'Code senden',
    resendCode: 'Code erneut senden',
    codeSent: 'Wir haben einen Code gesendet. Prüfen Sie Ihre E-Mails.',
    codeSent_sms: 'Wir haben einen Code per SMS an Ihr Mobiltelefon gesendet.',
    code: 'Code',
    verify: 'Überprüfen',
    supportCode: 'Supportcode: {code}',
    second_sms: 'Code per SMS an mein Mobiltelefon senden',
  },
};

/** What the employee pages (portal, account) also share: the new-password form, the helpdesk. */
export const EMPLOYEE = {
  en: {
    ...COMMON.en,
    userIdHelp: 'Your sign-in name, for example name@contoso.com',
    newPassword: 'New password',
    confirmPassword: 'Confirm new password',
    rulesHeading: 'Password requirements',
    ruleOk: 'met',
    ruleFail: 'not met',
    ruleDirectory: 'checked by your directory',
    mismatch: 'The passwords do not match.',
    helpdesk: 'Contact your helpdesk: {link}',
    networkError: 'Could not reach the server. Try again.',
  },
  pl: {
    ...COMMON.pl,
    userIdHelp: 'Twoja nazwa logowania, np. imie@contoso.com',
    newPassword: 'Nowe hasło',
    confirmPassword: 'Potwierdź nowe hasło',
    rulesHeading: 'Wymagania dotyczące hasła',
    ruleOk: 'spełnione',
    ruleFail: 'niespełnione',
    ruleDirectory: 'sprawdza katalog',
    mismatch: 'Hasła nie są zgodne.',
    helpdesk: 'Skontaktuj się z pomocą techniczną: {link}',
    networkError: 'Brak połączenia z serwerem. Spróbuj ponownie.',
  },
  de: {
    ...COMMON.de,
    userIdHelp: 'Ihr Anmeldename, z. B. name@contoso.com',
    newPassword: 'Neues Kennwort',
    confirmPassword: 'Neues Kennwort bestätigen',
    rulesHeading: 'Kennwortanforderungen',
    ruleOk: 'erfüllt',
    ruleFail: 'nicht erfüllt',
    ruleDirectory: 'wird vom Verzeichnis geprüft',
    mismatch: 'Die Kennwörter stimmen nicht überein.',
    helpdesk: 'Wenden Sie sich an den Helpdesk: {link}',
    networkError: 'Server nicht erreichbar. Bitte erneut versuchen.',
  },
};

export interface Language<M> {
  /** The chosen language code (`en`, `pl`, `de`). */
  readonly lang: string;
  readonly t: M;
}

/**
 * `?lang=` first, then the browser's languages, then English — among the page's `dictionaries`
 * (which must have `en`).
 */
export function pickLanguage<M>(
  dictionaries: Readonly<Record<string, M>> & { readonly en: M },
  search: string = location.search,
  preferred: readonly string[] = browserLanguages(),
): Language<M> {
  const fromQuery = new URLSearchParams(search).get('lang');
  for (const candidate of [fromQuery ?? '', ...preferred]) {
    const base = candidate.toLowerCase().split('-')[0] ?? '';
    const t = Object.hasOwn(dictionaries, base) ? dictionaries[base] : undefined;
    if (t !== undefined) return { lang: base, t };
  }
  return { lang: 'en', t: dictionaries.en };
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
