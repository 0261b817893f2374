import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSsprError, type SsprError } from '../../domain/errors/sspr-error.js';
import { startSmtpSink, type SmtpSink } from '../../../test/fixtures/smtp-sink.js';
import { createSmtpMailer, type SmtpMailer } from './smtp-mailer.js';

async function deliveryError(promise: Promise<unknown>): Promise<SsprError> {
  try {
    await promise;
  } catch (error) {
    if (isSsprError(error, 'MAIL_DELIVERY_FAILED')) return error;
    throw error;
  }
  throw new Error('expected MAIL_DELIVERY_FAILED');
}

/** A port nothing listens on: bind, read the port, close. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

describe('createSmtpMailer against a real SMTP server', () => {
  let sink: SmtpSink;
  let mailer: SmtpMailer;

  beforeAll(async () => {
    sink = await startSmtpSink();
    mailer = createSmtpMailer({
      host: '127.0.0.1',
      port: sink.port,
      secure: false,
      from: '"Contoso password reset" <sspr@contoso.test>',
    });
  });

  afterAll(async () => {
    mailer.close();
    await sink.stop();
  });

  it('delivers a plain-text mail with the code', async () => {
    await mailer.send({
      to: 'john.doe@contoso.test',
      subject: 'Your verification code',
      text: 'Use 48213907 to verify your account.\nIt expires in 5 minutes.',
    });
    const mail = await sink.waitFor((m) => m.to.includes('john.doe@contoso.test'));
    expect(mail.from).toBe('sspr@contoso.test');
    expect(mail.subject).toBe('Your verification code');
    expect(mail.text).toContain('Use 48213907 to verify your account.');
    expect(mail.text).toContain('It expires in 5 minutes.');
    expect(mail.raw).toMatch(/^From: "?Contoso password reset"? <sspr@contoso\.test>\r?$/m);
    expect(mail.html).toBeNull();
  });

  it('delivers text + HTML with non-ASCII content (encoded parts are decoded by the sink)', async () => {
    const longLine = `Kod weryfikacyjny: 55501234 — zażółć gęślą jaźń. ${'ą'.repeat(120)}`;
    await mailer.send({
      to: 'zofia@contoso.test',
      subject: 'Kod weryfikacyjny — ważny 5 minut',
      text: longLine,
      html: '<p>Kod: <b>55501234</b> — zażółć</p>',
    });
    const mail = await sink.waitFor((m) => m.to.includes('zofia@contoso.test'));
    expect(mail.raw).toMatch(/multipart\/alternative/);
    expect(mail.raw).toMatch(/Content-Transfer-Encoding: (quoted-printable|base64)/);
    expect(mail.raw).not.toContain('zażółć'); // really encoded on the wire
    expect(mail.subject).toBe('Kod weryfikacyjny — ważny 5 minut');
    expect(mail.text).toBe(longLine);
    expect(mail.html).toBe('<p>Kod: <b>55501234</b> — zażółć</p>');
  });

  it('verifies the connection', async () => {
    await expect(mailer.verifyConnection()).resolves.toBeUndefined();
  });
});

describe('createSmtpMailer failures', () => {
  it('maps a refused connection to MAIL_DELIVERY_FAILED', async () => {
    const mailer = createSmtpMailer({
      host: '127.0.0.1',
      port: await closedPort(),
      secure: false,
      from: 'sspr@contoso.test',
      timeoutMs: 2_000,
    });
    try {
      const error = await deliveryError(
        mailer.send({ to: 'a@contoso.test', subject: 'x', text: 'code 12345678' }),
      );
      expect(error.code).toBe('SSPR_8001');
      expect(error.status).toBe(502);
      expect((error.cause as Error).message).toMatch(/code ECONNECTION|code ESOCKET/);
      expect(JSON.stringify(error)).not.toContain('12345678');
      await deliveryError(mailer.verifyConnection());
    } finally {
      mailer.close();
    }
  });

  it('authenticates with user and password, and a wrong password never leaks', async () => {
    const sink = await startSmtpSink({ auth: { user: 'relay-user', password: 'S3cret-relay-pw' } });
    const good = createSmtpMailer({
      host: '127.0.0.1',
      port: sink.port,
      secure: false,
      user: 'relay-user',
      password: 'S3cret-relay-pw',
      from: 'sspr@contoso.test',
    });
    const bad = createSmtpMailer({
      host: '127.0.0.1',
      port: sink.port,
      secure: false,
      user: 'relay-user',
      password: 'Wrong-relay-pw',
      from: 'sspr@contoso.test',
    });
    try {
      await good.send({ to: 'auth@contoso.test', subject: 'hello', text: 'code 77700011' });
      const mail = await sink.waitFor((m) => m.to.includes('auth@contoso.test'));
      expect(mail.user).toBe('relay-user');
      expect(mail.text).toContain('77700011');

      const error = await deliveryError(
        bad.send({ to: 'auth2@contoso.test', subject: 'hello', text: 'code 99900022' }),
      );
      const cause = error.cause as Error;
      expect(cause.message).toMatch(/code EAUTH, reply 535, during AUTH/);
      const everything = [
        error.message,
        cause.message,
        JSON.stringify(error),
        JSON.stringify(cause),
      ].join('\n');
      for (const secret of ['Wrong-relay-pw', 'S3cret-relay-pw', 'relay-user', '99900022']) {
        expect(everything).not.toContain(secret);
        expect(everything).not.toContain(Buffer.from(secret).toString('base64'));
      }
      expect(sink.messages.some((m) => m.to.includes('auth2@contoso.test'))).toBe(false);
    } finally {
      good.close();
      bad.close();
      await sink.stop();
    }
  });
});
