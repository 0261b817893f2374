export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/** Sends mail. Throws SsprError MAIL_DELIVERY_FAILED when the relay refuses or is unreachable. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}
