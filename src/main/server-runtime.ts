import { hkdfSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { pino, type Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { parseListen } from '../config/schema.js';
import { ensureSecretKey } from '../config/secret-key.js';
import { SsprError } from '../domain/errors/sspr-error.js';
import type { AgentLink } from '../domain/ports/agent-link.js';
import type { Mailer } from '../domain/ports/mailer.js';
import type { SmsSender } from '../domain/ports/sms-sender.js';
import { createStore, type SqlStore } from '../adapters/store/create-store.js';
import { createArgon2Hasher } from '../adapters/crypto/argon2-hasher.js';
import { createAesGcmSecretBox } from '../adapters/crypto/aes-gcm-secret-box.js';
import { createNodeRandom } from '../adapters/crypto/node-random.js';
import { createSystemClock } from '../adapters/crypto/system-clock.js';
import { createSmtpMailer } from '../adapters/mail/smtp-mailer.js';
import { createDevOutbox, type DevOutbox } from '../adapters/mail/dev-outbox.js';
import { createWebhookSmsSender } from '../adapters/sms/webhook-sms-sender.js';
import { createAltchaCaptcha } from '../adapters/captcha/altcha-captcha.js';
import { loadCommonPasswords } from '../adapters/banned-list/common-passwords.js';
import { createAgentGateway, type AgentGateway } from '../server/agent-gateway.js';
import { serializeRequest } from '../server/request-log.js';
import { buildServer } from '../server/app.js';
import type { ServiceDeps, ServiceLogger } from '../services/deps.js';
import { createSyncIngest, startSyncScheduler } from '../services/directory-sync.js';
import { bannedCheckerFor } from '../services/password-service.js';
import { getPolicy } from '../services/policy-service.js';

export const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

/** Purpose-bound subkeys of `secrets.key`: one key never serves two jobs. */
export function deriveKey(master: Uint8Array, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `opensspr:${purpose}`, 32));
}

export interface ServerRuntime {
  readonly app: FastifyInstance;
  readonly store: SqlStore;
  readonly services: ServiceDeps;
  readonly outbox: DevOutbox | undefined;
  /** The agents' WebSocket end (GET /api/v1/agent/connect), attached to `app.server`. */
  readonly agentGateway: AgentGateway;
  readonly agentLink: AgentLink;
  close(): Promise<void>;
}

/** A service logger writing to a child of the process logger. */
function childLog(logger: Logger, component: string): ServiceLogger {
  const child = logger.child({ component });
  return {
    info: (obj, msg) => {
      child.info(obj, msg);
    },
    warn: (obj, msg) => {
      child.warn(obj, msg);
    },
  };
}

/** A mailer for servers with no SMTP configured: every send fails with a clear code. */
function unconfiguredMailer(): Mailer {
  return {
    send: () =>
      Promise.reject(
        new SsprError('MAIL_DELIVERY_FAILED', {
          details: { reason: 'mail.smtp.host is not configured' },
        }),
      ),
  };
}

/**
 * The text / voice provider: the outbox in demo mode, else `sms.provider`; undefined for `none`
 * (the phone methods are then off). The schema refuses `twilio` and a webhook without a URL.
 */
function smsSenderFor(config: Config, outbox: DevOutbox | undefined): SmsSender | undefined {
  if (outbox !== undefined) return outbox.sms;
  const { provider, webhook } = config.sms;
  if (provider !== 'webhook' || webhook.url === undefined) return undefined;
  return createWebhookSmsSender({
    url: webhook.url,
    token: webhook.token,
    header: webhook.header,
    timeoutMs: webhook.timeoutMs,
    userAgent: `OpenSSPR/${VERSION}`,
  });
}

/** Composition root of the server: config → adapters → services → HTTP. */
export async function createServerRuntime(
  config: Config,
  overrides: { mailer?: Mailer; sms?: SmsSender; timingFloorMs?: number } = {},
): Promise<ServerRuntime> {
  const secret = await ensureSecretKey(config);
  const store = await createStore({ url: config.store.url });
  await store.migrate();
  const clock = createSystemClock();
  const logger = pino({
    level: config.log.level,
    // Request lines carry no flow id (a reset flow's capability); the cookie and tokens are redacted.
    serializers: { req: serializeRequest },
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'],
      censor: '[redacted]',
    },
  });
  const outbox = config.demo ? createDevOutbox({ capacity: 500, clock }) : undefined;
  const smtp = config.mail.smtp;
  const mailer: Mailer =
    overrides.mailer ??
    outbox?.mailer ??
    (smtp.host !== undefined && smtp.from !== undefined
      ? createSmtpMailer({
          host: smtp.host,
          port: smtp.port,
          secure: smtp.secure,
          from: smtp.from,
          tls: { rejectUnauthorized: smtp.tls.rejectUnauthorized },
          ...(smtp.user === undefined ? {} : { user: smtp.user }),
          ...(smtp.password === undefined ? {} : { password: smtp.password }),
        })
      : unconfiguredMailer());
  const random = createNodeRandom();
  const syncIngest = createSyncIngest({
    store,
    clock,
    random,
    log: childLog(logger, 'directory-sync'),
    maxDeletes: config.sync.maxDeletes,
    prepopulateContacts: config.sync.prepopulateContacts,
  });
  const gatewayLog = logger.child({ component: 'agent-gateway' });
  const agentGateway = createAgentGateway({
    store,
    clock,
    random,
    log: {
      info: (obj, msg) => {
        gatewayLog.info(obj, msg);
      },
      warn: (obj, msg) => {
        gatewayLog.warn(obj, msg);
      },
    },
    syncIntervalSeconds: config.sync.intervalSeconds,
    onSyncPage: syncIngest.onSyncPage,
    onSyncDone: syncIngest.onSyncDone,
    syncCookie: async () => (await store.directorySync.getState()).cookie,
  });
  const services: ServiceDeps = {
    store,
    clock,
    random,
    hasher: createArgon2Hasher(),
    secretBox: createAesGcmSecretBox(deriveKey(secret.key, 'secret-box')),
    mailer,
    sms: overrides.sms ?? smsSenderFor(config, outbox),
    captcha: createAltchaCaptcha({ hmacKey: deriveKey(secret.key, 'captcha'), clock }),
    globalBannedTerms: loadCommonPasswords(),
    settings: {
      captchaEnabled: config.captcha.enabled,
      organizationName: config.organization.name,
      codeKey: deriveKey(secret.key, 'one-time-codes'),
      timingFloorMs: overrides.timingFloorMs ?? 250,
      publicUrl: config.publicUrl,
      sessionTtlMinutes: config.sessions.ttlMinutes,
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: {
      warn: (obj, msg) => {
        logger.warn(obj, msg);
      },
      info: (obj, msg) => {
        logger.info(obj, msg);
      },
    },
    agentLink: agentGateway.link,
  };
  // Build the banned-password index now (about 100 ms) rather than inside the first request.
  bannedCheckerFor(services, await getPolicy(store));
  const app = await buildServer({
    services,
    http: {
      publicUrl: config.publicUrl,
      trustProxy: config.trustProxy,
      perIpPerMinute: config.rateLimit.perIpPerMinute,
      bodyLimit: 64 * 1024,
      logger: config.log.level === 'silent' ? undefined : logger,
      devOutbox: outbox,
      version: VERSION,
    },
  });
  agentGateway.attach(app.server);
  const syncScheduler = startSyncScheduler({
    link: agentGateway.link,
    store,
    intervalSeconds: config.sync.intervalSeconds,
    log: childLog(logger, 'directory-sync'),
  });
  return {
    app,
    store,
    services,
    outbox,
    agentGateway,
    agentLink: agentGateway.link,
    close: async () => {
      syncScheduler.stop();
      // First: open agent sockets would keep the HTTP server from closing.
      await agentGateway.close();
      await app.close();
      await store.close();
      if ('close' in mailer && typeof mailer.close === 'function') (mailer.close as () => void)();
    },
  };
}

export async function listen(runtime: ServerRuntime, config: Config): Promise<string> {
  const parsed = parseListen(config.listen);
  if (parsed === undefined) throw new Error(`listen: cannot parse ${config.listen}`);
  return runtime.app.listen({ host: parsed.host, port: parsed.port });
}
