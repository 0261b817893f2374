import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { buildServer } from '../../src/server/app.js';
import type { ServiceDeps, ServiceLogger } from '../../src/services/deps.js';
import { createStore, type SqlStore } from '../../src/adapters/store/create-store.js';
import { createArgon2Hasher } from '../../src/adapters/crypto/argon2-hasher.js';
import { createAesGcmSecretBox } from '../../src/adapters/crypto/aes-gcm-secret-box.js';
import { createNodeRandom } from '../../src/adapters/crypto/node-random.js';
import { createAltchaCaptcha } from '../../src/adapters/captcha/altcha-captcha.js';
import { createDevOutbox, type DevOutbox } from '../../src/adapters/mail/dev-outbox.js';
import { loadCommonPasswords } from '../../src/adapters/banned-list/common-passwords.js';
import type { AgentLink } from '../../src/domain/ports/agent-link.js';
import type { Mailer } from '../../src/domain/ports/mailer.js';
import type { SmsSender } from '../../src/domain/ports/sms-sender.js';
import { createAdminToken } from '../../src/services/admin-service.js';
import { createFixedClock, type FixedClock } from '../fakes/fixed-clock.js';

let bannedTerms: readonly string[] | undefined;
/** The shipped global list, loaded once per test file. */
export function globalBannedTerms(): readonly string[] {
  bannedTerms ??= loadCommonPasswords();
  return bannedTerms;
}

export interface TestAppOptions {
  readonly storeUrl?: string;
  readonly schema?: string;
  readonly captcha?: boolean;
  /** Defaults to the development outbox (in memory); pass a real SMTP mailer to test delivery. */
  readonly mailer?: Mailer;
  /** Text / voice provider; defaults to the development outbox, null = none (`sms.provider: none`). */
  readonly sms?: SmsSender | null;
  readonly perIpPerMinute?: number;
  readonly timingFloorMs?: number;
  readonly organizationName?: string;
  /** The agents (e.g. test/fakes/fake-agent-link.ts); none by default (cloud-only). */
  readonly agentLink?: AgentLink;
  /** The services' logger; silent by default. */
  readonly log?: ServiceLogger;
}

export interface TestApp {
  readonly app: FastifyInstance;
  readonly services: ServiceDeps;
  readonly store: SqlStore;
  readonly clock: FixedClock;
  readonly outbox: DevOutbox;
  readonly adminToken: string;
  /** JSON request helper; `cookie` sends a session cookie, `token` an admin bearer token. */
  request(
    method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
    url: string,
    options?: { body?: unknown; cookie?: string; token?: string; headers?: Record<string, string> },
  ): Promise<LightMyRequestResponse>;
  close(): Promise<void>;
}

/** The whole server over real adapters (SQLite in memory unless told otherwise) with a fixed clock. */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const clock = createFixedClock(new Date());
  const store = await createStore({
    url: options.storeUrl ?? 'sqlite::memory:',
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  });
  await store.migrate();
  const random = createNodeRandom();
  const outbox = createDevOutbox({ capacity: 1000, clock });
  const key = Buffer.alloc(32, 7);
  const services: ServiceDeps = {
    store,
    clock,
    random,
    // Light Argon2 parameters keep tests fast; production uses OWASP's.
    hasher: createArgon2Hasher({ memoryCost: 1024, timeCost: 1 }),
    secretBox: createAesGcmSecretBox(key),
    mailer: options.mailer ?? outbox.mailer,
    sms: options.sms === null ? undefined : (options.sms ?? outbox.sms),
    captcha: createAltchaCaptcha({ hmacKey: key, clock, maxNumber: 50, cost: 10 }),
    globalBannedTerms: globalBannedTerms(),
    settings: {
      captchaEnabled: options.captcha ?? false,
      organizationName: options.organizationName ?? 'Contoso',
      codeKey: Buffer.alloc(32, 9),
      timingFloorMs: options.timingFloorMs ?? 0,
      publicUrl: 'http://127.0.0.1:8080',
      sessionTtlMinutes: 60,
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    log: options.log ?? { warn: () => undefined, info: () => undefined },
    agentLink: options.agentLink,
  };
  const app = await buildServer({
    services,
    http: {
      publicUrl: 'http://127.0.0.1:8080',
      trustProxy: false,
      perIpPerMinute: options.perIpPerMinute ?? 0,
      bodyLimit: 64 * 1024,
      devOutbox: outbox,
      version: 'test',
    },
  });
  await app.ready();
  const { token } = await createAdminToken(services, 'tests');
  return {
    app,
    services,
    store,
    clock,
    outbox,
    adminToken: token,
    request: (method, url, opts = {}) =>
      app.inject({
        method,
        url,
        headers: {
          ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(opts.cookie === undefined ? {} : { cookie: `sspr_session=${opts.cookie}` }),
          ...(opts.token === undefined ? {} : { authorization: `Bearer ${opts.token}` }),
          ...opts.headers,
        },
        ...(opts.body === undefined ? {} : { payload: JSON.stringify(opts.body) }),
      }),
    close: async () => {
      await app.close();
      await store.close();
    },
  };
}

/** The `error.code` of a JSON error answer. */
export function errorCode(response: LightMyRequestResponse): string | undefined {
  const body = response.json<{ error?: { code?: string } }>();
  return body.error?.code;
}
