/**
 * The product as `sspr demo` runs it, for the browser tests: the production runtime on a free
 * loopback port, a temporary data directory (SQLite), the proof-of-work CAPTCHA on and the demo
 * users seeded (TOTP secrets returned, mail kept in the development outbox).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DevOutbox } from '../../../src/adapters/mail/dev-outbox.js';
import { loadConfig } from '../../../src/config/load.js';
import { seedDemo } from '../../../src/main/demo.js';
import { createAdminToken } from '../../../src/services/admin-service.js';
import { createServerRuntime, listen } from '../../../src/main/server-runtime.js';

export interface E2eServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** TOTP secret (base32) of each demo user with an authenticator app, by UPN. */
  readonly secrets: ReadonlyMap<string, string>;
  /** An admin API token, for tests that change the policy. */
  readonly adminToken: string;
  /** Every mail and SMS the server "sent". */
  readonly outbox: DevOutbox;
  close(): Promise<void>;
}

export async function startServer(): Promise<E2eServer> {
  const dir = await mkdtemp(join(tmpdir(), 'sspr-e2e-'));
  const config = loadConfig({
    env: {
      SSPR_DATA_DIR: join(dir, 'data'),
      SSPR_LISTEN: '127.0.0.1:0',
      SSPR_CAPTCHA_ENABLED: 'true',
      SSPR_LOG_LEVEL: 'silent',
      SSPR_DEMO: 'true',
    },
    cwd: dir,
  });
  const runtime = await createServerRuntime(config);
  try {
    const address = await listen(runtime, config);
    const secrets = await seedDemo(runtime);
    if (runtime.outbox === undefined) throw new Error('demo mode should provide a dev outbox');
    const url = address.replace('://localhost:', '://127.0.0.1:').replace(/\/$/, '');
    const { token: adminToken } = await createAdminToken(runtime.services, 'e2e');
    return {
      url,
      secrets,
      adminToken,
      outbox: runtime.outbox,
      close: async () => {
        await runtime.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await runtime.close().catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The newest 8-digit code mailed to `to`, waiting up to `timeoutMs` for it. */
export async function waitForMailedCode(
  outbox: DevOutbox,
  to: string,
  { after = 0, timeoutMs = 10_000 }: { after?: number; timeoutMs?: number } = {},
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const mail = outbox
      .list()
      .find((m) => m.to === to && Date.parse(m.sentAt) >= after && /\b\d{8}\b/.test(m.text));
    const code = mail && /\b(\d{8})\b/.exec(mail.text)?.[1];
    if (code) return code;
    if (Date.now() > deadline) throw new Error(`no code was mailed to ${to}`);
    await new Promise((done) => setTimeout(done, 100));
  }
}
