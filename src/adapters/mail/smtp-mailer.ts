import nodemailer from 'nodemailer';
import { SsprError } from '../../domain/errors/sspr-error.js';
import type { Mailer } from '../../domain/ports/mailer.js';

export interface SmtpMailerOptions {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS (port 465). When false, STARTTLS is used if the relay offers it. */
  readonly secure: boolean;
  readonly user?: string;
  readonly password?: string;
  /** The From header and envelope sender, e.g. `"Contoso password reset" <sspr@contoso.com>`. */
  readonly from: string;
  readonly tls?: { readonly rejectUnauthorized: boolean };
  /** Connect / greeting timeout in ms (default 10 s); the socket idle timeout is three times it. */
  readonly timeoutMs?: number;
}

export interface SmtpMailer extends Mailer {
  /** Opens a connection and authenticates; throws MAIL_DELIVERY_FAILED when that fails. */
  verifyConnection(): Promise<void>;
  /** Closes the pooled connections (idle ones at once, busy ones after their message). */
  close(): void;
}

/**
 * The Mailer port over SMTP (nodemailer, pooled connections). Any failure becomes
 * SsprError MAIL_DELIVERY_FAILED whose cause carries only the SMTP error code, reply code and
 * command — never the credentials, the message text (it may hold a code) or the raw reply.
 */
export function createSmtpMailer(options: SmtpMailerOptions): SmtpMailer {
  const timeout = options.timeoutMs ?? 10_000;
  const transport = nodemailer.createTransport({
    pool: true,
    host: options.host,
    port: options.port,
    secure: options.secure,
    ...(options.user !== undefined
      ? { auth: { user: options.user, pass: options.password ?? '' } }
      : {}),
    ...(options.tls !== undefined
      ? { tls: { rejectUnauthorized: options.tls.rejectUnauthorized } }
      : {}),
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout * 3,
    logger: false,
    debug: false,
  });

  return {
    async send(message) {
      try {
        await transport.sendMail({
          from: options.from,
          to: message.to,
          subject: message.subject,
          text: message.text,
          ...(message.html !== undefined ? { html: message.html } : {}),
        });
      } catch (error) {
        throw new SsprError('MAIL_DELIVERY_FAILED', { cause: safeCause(error) });
      }
    },
    async verifyConnection() {
      try {
        await transport.verify();
      } catch (error) {
        throw new SsprError('MAIL_DELIVERY_FAILED', { cause: safeCause(error) });
      }
    },
    close() {
      transport.close();
    },
  };
}

/** An Error that keeps the diagnosable facts of a nodemailer error and nothing else. */
function safeCause(error: unknown): Error {
  const fields =
    typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const code = typeof fields['code'] === 'string' ? fields['code'] : 'UNKNOWN';
  const responseCode = typeof fields['responseCode'] === 'number' ? fields['responseCode'] : null;
  // Only the verb: "AUTH PLAIN <base64 credentials>" must not travel on.
  const command =
    typeof fields['command'] === 'string'
      ? (fields['command'].split(' ')[0] ?? '').slice(0, 16)
      : null;
  const parts = [`code ${code}`];
  if (responseCode !== null) parts.push(`reply ${String(responseCode)}`);
  if (command !== null && command !== '') parts.push(`during ${command}`);
  const cause = new Error(`SMTP delivery failed (${parts.join(', ')})`);
  cause.name = 'SmtpError';
  return Object.assign(cause, { smtpCode: code, responseCode, command });
}
