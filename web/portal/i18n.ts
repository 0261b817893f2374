/** UI strings of the self-service portal: English, Polish, German. Keep them short. */
const en = {
  title: 'Reset your password',
  startHeading: "Can't access your account?",
  userId: 'User ID',
  userIdHelp: 'Your sign-in name, for example name@contoso.com',
  next: 'Next',
  checkingRobot: "Checking you're not a robot…",
  working: 'Working…',
  methodHeading: 'Verify your identity',
  methodLegend: 'Choose a verification method',
  gateProgress: 'Step {n} of {m}',
  method_email: 'Email me a code',
  method_totp: 'Enter a code from my authenticator app',
  method_securityQuestions: 'Answer my security questions',
  sendCode: 'Send code',
  codeSent: 'We sent a code. Check your email.',
  code: 'Code',
  verify: 'Verify',
  gatePassed: 'Verified. Choose another method.',
  passwordHeading: 'Choose a new password',
  newPassword: 'New password',
  confirmPassword: 'Confirm new password',
  rulesHeading: 'Password requirements',
  ruleOk: 'met',
  ruleFail: 'not met',
  ruleDirectory: 'checked by your directory',
  mismatch: 'The passwords do not match.',
  resetButton: 'Reset password',
  doneHeading: 'Your password has been reset',
  doneText: 'You can now sign in with your new password.',
  supportCode: 'Support code: {code}',
  helpdesk: 'Contact your helpdesk: {link}',
  networkError: 'Could not reach the server. Try again.',
  captchaFailed: 'The robot check failed. Try again.',
  noMethods: 'No verification method is available. Contact your helpdesk.',
  startOver: 'Start over',
};

export type Messages = typeof en;
export type MessageKey = keyof Messages;

const pl: Messages = {
  title: 'Zresetuj hasło',
  startHeading: 'Nie możesz uzyskać dostępu do konta?',
  userId: 'Identyfikator użytkownika',
  userIdHelp: 'Twoja nazwa logowania, np. imie@contoso.com',
  next: 'Dalej',
  checkingRobot: 'Sprawdzamy, czy nie jesteś robotem…',
  working: 'Przetwarzanie…',
  methodHeading: 'Potwierdź tożsamość',
  methodLegend: 'Wybierz metodę weryfikacji',
  gateProgress: 'Krok {n} z {m}',
  method_email: 'Wyślij mi kod e-mailem',
  method_totp: 'Wpiszę kod z aplikacji uwierzytelniającej',
  method_securityQuestions: 'Odpowiem na pytania zabezpieczające',
  sendCode: 'Wyślij kod',
  codeSent: 'Wysłaliśmy kod. Sprawdź pocztę.',
  code: 'Kod',
  verify: 'Zweryfikuj',
  gatePassed: 'Zweryfikowano. Wybierz kolejną metodę.',
  passwordHeading: 'Ustaw nowe hasło',
  newPassword: 'Nowe hasło',
  confirmPassword: 'Potwierdź nowe hasło',
  rulesHeading: 'Wymagania dotyczące hasła',
  ruleOk: 'spełnione',
  ruleFail: 'niespełnione',
  ruleDirectory: 'sprawdza katalog',
  mismatch: 'Hasła nie są zgodne.',
  resetButton: 'Zresetuj hasło',
  doneHeading: 'Hasło zostało zresetowane',
  doneText: 'Możesz teraz zalogować się nowym hasłem.',
  supportCode: 'Kod pomocy: {code}',
  helpdesk: 'Skontaktuj się z pomocą techniczną: {link}',
  networkError: 'Brak połączenia z serwerem. Spróbuj ponownie.',
  captchaFailed: 'Weryfikacja antyrobotowa nie powiodła się. Spróbuj ponownie.',
  noMethods: 'Brak dostępnej metody weryfikacji. Skontaktuj się z pomocą techniczną.',
  startOver: 'Zacznij od nowa',
};

const de: Messages = {
  title: 'Kennwort zurücksetzen',
  startHeading: 'Kein Zugriff auf Ihr Konto?',
  userId: 'Benutzer-ID',
  userIdHelp: 'Ihr Anmeldename, z. B. name@contoso.com',
  next: 'Weiter',
  checkingRobot: 'Wir prüfen, ob Sie kein Roboter sind…',
  working: 'Wird bearbeitet…',
  methodHeading: 'Identität bestätigen',
  methodLegend: 'Überprüfungsmethode wählen',
  gateProgress: 'Schritt {n} von {m}',
  method_email: 'Code per E-Mail senden',
  method_totp: 'Code aus meiner Authenticator-App eingeben',
  method_securityQuestions: 'Sicherheitsfragen beantworten',
  sendCode: 'Code senden',
  codeSent: 'Wir haben einen Code gesendet. Prüfen Sie Ihre E-Mails.',
  code: 'Code',
  verify: 'Überprüfen',
  gatePassed: 'Bestätigt. Wählen Sie eine weitere Methode.',
  passwordHeading: 'Neues Kennwort festlegen',
  newPassword: 'Neues Kennwort',
  confirmPassword: 'Neues Kennwort bestätigen',
  rulesHeading: 'Kennwortanforderungen',
  ruleOk: 'erfüllt',
  ruleFail: 'nicht erfüllt',
  ruleDirectory: 'wird vom Verzeichnis geprüft',
  mismatch: 'Die Kennwörter stimmen nicht überein.',
  resetButton: 'Kennwort zurücksetzen',
  doneHeading: 'Ihr Kennwort wurde zurückgesetzt',
  doneText: 'Sie können sich jetzt mit dem neuen Kennwort anmelden.',
  supportCode: 'Supportcode: {code}',
  helpdesk: 'Wenden Sie sich an den Helpdesk: {link}',
  networkError: 'Server nicht erreichbar. Bitte erneut versuchen.',
  captchaFailed: 'Die Roboterprüfung ist fehlgeschlagen. Bitte erneut versuchen.',
  noMethods: 'Keine Überprüfungsmethode verfügbar. Wenden Sie sich an den Helpdesk.',
  startOver: 'Neu beginnen',
};

const dictionaries: Record<string, Messages> = { en, pl, de };

/** `?lang=` first, then the browser's languages, then English. */
export function pickLanguage(search: string, preferred: readonly string[]): string {
  const fromQuery = new URLSearchParams(search).get('lang');
  const candidates = [fromQuery ?? '', ...preferred];
  for (const candidate of candidates) {
    const base = candidate.toLowerCase().split('-')[0] ?? '';
    if (base in dictionaries) return base;
  }
  return 'en';
}

export function messagesFor(lang: string): Messages {
  return dictionaries[lang] ?? en;
}

/** Fills `{name}` placeholders. */
export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}
