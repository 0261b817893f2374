import { isIP } from 'node:net';
import { SsprError } from '../../domain/errors/sspr-error.js';
import type { PhoneMessage, SmsSender } from '../../domain/ports/sms-sender.js';

export interface WebhookSmsSenderOptions {
  /** Where the JSON is POSTed: https, or http only to a loopback address (a local relay). */
  readonly url: string;
  /** Shared secret: sent as `Authorization: Bearer <token>`, or in `header` when set. */
  readonly token?: string | undefined;
  /** Header carrying the token as it is (e.g. `X-Api-Key`) instead of a bearer token. */
  readonly header?: string | undefined;
  /** The whole request (connect, send, answer) must finish within this many ms. */
  readonly timeoutMs: number;
  /** Sent as User-Agent, e.g. `OpenSSPR/0.1.0`. */
  readonly userAgent?: string | undefined;
}

/** The JSON body the webhook receives. `code` is present when the message carries a code. */
export interface WebhookPayload {
  readonly to: string;
  readonly channel: PhoneMessage['channel'];
  readonly text: string;
  readonly code?: string;
}

const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;

/** True for `localhost`, 127.0.0.0/8 and ::1: plain http is acceptable only there. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Why a webhook URL is refused, or undefined when it is acceptable. */
export function webhookUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be a URL, e.g. https://sms-relay.example.com/send';
  }
  if (url.username !== '' || url.password !== '')
    return 'must not carry credentials; use sms.webhook.token';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return 'must be an https:// URL (http:// is accepted only for a loopback address)';
}

/**
 * The SmsSender port over a generic HTTP webhook: one `POST` of `{to, channel, text, code?}` as
 * JSON per message; any 2xx answer means accepted. Redirects are not followed (the token must not
 * travel to another host). Any failure becomes SsprError SMS_DELIVERY_FAILED whose cause says only
 * what went wrong (status, timeout, network error code) — never the number, text, code or token.
 */
export function createWebhookSmsSender(options: WebhookSmsSenderOptions): SmsSender {
  const problem = webhookUrlProblem(options.url);
  if (problem !== undefined) throw new RangeError(`sms.webhook.url ${problem}`);
  if (options.header !== undefined && !HEADER_NAME.test(options.header))
    throw new RangeError('sms.webhook.header must be an HTTP header name');
  if (!Number.isInteger(options.timeoutMs) || options.timeoutMs < 1)
    throw new RangeError('sms.webhook.timeoutMs must be a positive integer');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/plain, */*',
    'user-agent': options.userAgent ?? 'OpenSSPR',
  };
  if (options.token !== undefined) {
    if (options.header === undefined) headers.authorization = `Bearer ${options.token}`;
    else headers[options.header.toLowerCase()] = options.token;
  }

  return {
    async send(message) {
      const payload: WebhookPayload = {
        to: message.to,
        channel: message.channel,
        text: message.text,
        ...(message.code === undefined ? {} : { code: message.code }),
      };
      let response: Response;
      try {
        response = await fetch(options.url, {
          method: 'POST',
          headers,
          body: JSON.stringify(payload),
          redirect: 'manual',
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        throw new SsprError('SMS_DELIVERY_FAILED', { cause: networkCause(error, options) });
      }
      // The answer's body is not needed (and may echo the message): release the connection.
      await response.body?.cancel().catch(() => undefined);
      if (response.status < 200 || response.status > 299) {
        throw new SsprError('SMS_DELIVERY_FAILED', {
          cause: webhookError(`SMS webhook answered HTTP ${String(response.status)}`, {
            status: response.status,
          }),
        });
      }
    },
  };
}

function webhookError(message: string, fields: Record<string, unknown>): Error {
  const cause = new Error(message);
  cause.name = 'SmsWebhookError';
  return Object.assign(cause, fields);
}

function networkCause(error: unknown, options: WebhookSmsSenderOptions): Error {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return webhookError(`SMS webhook did not answer within ${String(options.timeoutMs)} ms`, {
      timeout: true,
    });
  }
  // undici: TypeError('fetch failed') whose cause carries the system error code.
  const inner = error instanceof Error ? (error.cause as Record<string, unknown> | undefined) : {};
  const code = typeof inner?.['code'] === 'string' ? inner['code'] : 'UNKNOWN';
  return webhookError(`SMS webhook unreachable (${code})`, { networkCode: code });
}
