/**
 * The server under test, in its own process so the load generator does not share its event loop:
 * the production composition root (`createServerRuntime`: OWASP Argon2id, the default timing floor
 * unless told otherwise) on a free loopback port. Driven by bench/http-flows.ts over IPC
 * (bench/server-messages.ts); not meant to be run by hand.
 */
import process from 'node:process';
import { loadConfig } from '../src/config/load.js';
import type { Mailer } from '../src/domain/ports/mailer.js';
import { createServerRuntime, listen, type ServerRuntime } from '../src/main/server-runtime.js';
import { updatePolicy } from '../src/services/policy-service.js';
import type { ChildMessage, ParentMessage, SeedUser, StartMessage } from './server-messages.js';

const SEED_BATCH = 250;
const ctx = { correlationId: 'bench-seed', ip: null, userAgent: 'opensspr bench' };
const actor = { id: null, upn: 'bench' };

let runtime: ServerRuntime | undefined;
let mailsSent = 0;
let cpuMark: NodeJS.CpuUsage | undefined;
/** Seeded users have no email, so nothing should be sent; counted to prove it. */
const mailer: Mailer = {
  send: async () => {
    mailsSent++;
  },
};

function reply(message: ChildMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(
        new Error('bench/server-process.ts must be started by the benchmark (no IPC channel)'),
      );
      return;
    }
    process.send(message, (error: Error | null) => {
      if (error === null) resolve();
      else reject(error);
    });
  });
}

async function seed(rt: ServerRuntime, users: readonly SeedUser[]): Promise<void> {
  const s = rt.services;
  // One real (OWASP) hash shared by every seeded user: the reset replaces it anyway, and hashing
  // 2,000 passwords one by one would take longer than the benchmark.
  const passwordHash = await s.hasher.hash('Seed-only-Password-7!');
  const now = s.clock.now().toISOString();
  for (let from = 0; from < users.length; from += SEED_BATCH) {
    const batch = users.slice(from, from + SEED_BATCH);
    await s.store.transaction(async (tx) => {
      for (const [offset, u] of batch.entries()) {
        const n = from + offset;
        const user = await tx.users.create(
          {
            id: s.random.uuid(),
            userPrincipalName: u.upn,
            displayName: `Bench User ${n}`,
            givenName: 'Bench',
            surname: `User${n}`,
            source: 'cloud',
            accountEnabled: true,
            passwordHash,
            email: null, // no address: the reset notification is skipped
            mobilePhone: null,
            officePhone: null,
            externalId: null,
            directoryDn: null,
            accountName: null,
            directoryState: null,
          },
          now,
        );
        await tx.methods.create(
          {
            id: s.random.uuid(),
            userId: user.id,
            kind: 'totp',
            status: 'active',
            data: {
              kind: 'totp',
              secretEncrypted: s.secretBox.seal(u.secret),
              label: 'Authenticator app',
            },
          },
          now,
        );
      }
    });
    process.stderr.write(
      `[bench]   seeded ${Math.min(from + SEED_BATCH, users.length)}/${users.length} users\n`,
    );
  }
}

async function start(message: StartMessage): Promise<void> {
  const config = loadConfig({
    cwd: message.dataDir,
    env: {
      SSPR_LISTEN: '127.0.0.1:0',
      SSPR_DATA_DIR: message.dataDir,
      SSPR_STORE_URL: message.storeUrl,
      SSPR_SECRETS_KEY: message.secretsKey,
      SSPR_DEMO: 'false',
      SSPR_CAPTCHA_ENABLED: 'false',
      SSPR_RATE_LIMIT_PER_IP_PER_MINUTE: '0',
      SSPR_LOG_LEVEL: 'silent',
    },
  });
  runtime = await createServerRuntime(config, {
    mailer,
    ...(message.timingFloorMs === null ? {} : { timingFloorMs: message.timingFloorMs }),
  });
  await updatePolicy(runtime.services, ctx, actor, { enabledFor: 'all' });
  if (message.seed.length > 0) await seed(runtime, message.seed);
  const url = await listen(runtime, config);
  await reply({
    type: 'ready',
    url,
    timingFloorMs: runtime.services.settings.timingFloorMs,
    users: await runtime.store.users.count(),
  });
}

async function stop(): Promise<void> {
  const running = runtime;
  runtime = undefined;
  if (running !== undefined) await running.close();
}

async function handle(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case 'start':
      await start(message);
      return;
    case 'mark':
      cpuMark = process.cpuUsage();
      await reply({ type: 'marked' });
      return;
    case 'stop': {
      const cpu = process.cpuUsage(cpuMark);
      await stop();
      await reply({ type: 'stopped', mailsSent, cpuMs: (cpu.user + cpu.system) / 1000 });
      process.exit(0);
    }
  }
}

const describe = (error: unknown): string =>
  error instanceof Error ? (error.stack ?? error.message) : String(error);

process.on('message', (message: unknown) => {
  handle(message as ParentMessage).catch(async (error: unknown) => {
    await reply({ type: 'failed', message: describe(error) }).catch(() => undefined);
    await stop().catch(() => undefined);
    process.exit(1);
  });
});

// The benchmark went away (crash, Ctrl+C): close the store and leave.
process.on('disconnect', () => {
  void stop()
    .catch(() => undefined)
    .finally(() => process.exit(0));
});
