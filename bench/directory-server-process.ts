/**
 * The server under test for the directory benchmarks, in its own process: the production
 * composition root (`createServerRuntime`, agent gateway on the same HTTP server) on a free
 * loopback port, scheduled syncs off (the benchmark asks for each run). Driven over IPC by
 * bench/server-stack.ts (bench/directory-messages.ts); not meant to be run by hand.
 */
import process from 'node:process';
import { loadConfig } from '../src/config/load.js';
import type { Mailer } from '../src/domain/ports/mailer.js';
import { createServerRuntime, listen, type ServerRuntime } from '../src/main/server-runtime.js';
import { createAgentRegistrationToken } from '../src/services/agent-registration.js';
import { updatePolicy } from '../src/services/policy-service.js';
import type {
  DirectoryServerStart,
  Op,
  ReplyMessage,
  RequestMessage,
  Requests,
  SyncResult,
  TotpUser,
} from './directory-messages.js';

const SEED_BATCH = 250;
const ctx = { correlationId: 'bench-seed', ip: null, userAgent: 'opensspr bench' };
const actor = { id: null, upn: 'bench' };

let runtime: ServerRuntime | undefined;
let mailsSent = 0;
/** Directory users have no email here, so nothing should be sent; counted to prove it. */
const mailer: Mailer = {
  send: async () => {
    mailsSent++;
  },
};

function running(): ServerRuntime {
  if (runtime === undefined) throw new Error('the server is not started');
  return runtime;
}

async function start(args: DirectoryServerStart): Promise<Requests['start']['reply']> {
  const config = loadConfig({
    cwd: args.dataDir,
    env: {
      SSPR_LISTEN: '127.0.0.1:0',
      SSPR_DATA_DIR: args.dataDir,
      SSPR_STORE_URL: args.storeUrl,
      SSPR_SECRETS_KEY: args.secretsKey,
      SSPR_DEMO: 'false',
      SSPR_CAPTCHA_ENABLED: 'false',
      SSPR_RATE_LIMIT_PER_IP_PER_MINUTE: '0',
      SSPR_LOG_LEVEL: 'silent',
      // No scheduled syncs: every run is one the benchmark asked for and timed.
      SSPR_SYNC_INTERVAL_SECONDS: '0',
    },
  });
  runtime = await createServerRuntime(config, {
    mailer,
    ...(args.timingFloorMs === null ? {} : { timingFloorMs: args.timingFloorMs }),
  });
  await updatePolicy(runtime.services, ctx, actor, { enabledFor: 'all' });
  const url = await listen(runtime, config);
  return { url, timingFloorMs: runtime.services.settings.timingFloorMs };
}

async function waitForAgent(timeoutMs: number): Promise<{ agents: number }> {
  const link = running().agentLink;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const status = await link.status();
    const ready = status.agents.filter((a) => a.connected && a.directoryReachable);
    if (ready.length > 0) return { agents: ready.length };
    if (Date.now() > until) {
      throw new Error(
        `no agent connected with a reachable directory within ${timeoutMs / 1000} s (${JSON.stringify(status)})`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function sync(full: boolean): Promise<SyncResult> {
  const rt = running();
  const began = performance.now();
  const summary = await rt.agentLink.sync({ full });
  const ms = performance.now() - began;
  return {
    ms,
    full: summary.full,
    users: summary.users,
    groups: summary.groups,
    unchangedUsers: summary.details?.unchanged.users ?? 0,
    pages: summary.details?.pages ?? 0,
    conflicts: summary.details?.conflicts.count ?? 0,
    invalidContacts: summary.details?.invalidContacts ?? 0,
    error: summary.error === null ? null : `${summary.error.code} ${summary.error.message}`,
    usersInStore: await rt.store.users.count(),
  };
}

async function seedTotp(
  users: readonly TotpUser[],
): Promise<{ seeded: number; missing: string[] }> {
  const s = running().services;
  const now = s.clock.now().toISOString();
  const missing: string[] = [];
  let seeded = 0;
  for (let from = 0; from < users.length; from += SEED_BATCH) {
    const batch = users.slice(from, from + SEED_BATCH);
    await s.store.transaction(async (tx) => {
      for (const u of batch) {
        const user = await tx.users.findByUpn(u.upn);
        if (user === null) {
          missing.push(u.upn);
          continue;
        }
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
        seeded++;
      }
    });
  }
  return { seeded, missing };
}

async function stop(): Promise<void> {
  const rt = runtime;
  runtime = undefined;
  if (rt !== undefined) await rt.close();
}

async function handle(message: RequestMessage): Promise<unknown> {
  const op: Op = message.op;
  switch (op) {
    case 'start':
      return start(message.args as DirectoryServerStart);
    case 'agentToken': {
      const { token } = await createAgentRegistrationToken(running().services, { ttlHours: 1 });
      return { token };
    }
    case 'waitForAgent':
      return waitForAgent((message.args as { timeoutMs: number }).timeoutMs);
    case 'sync':
      return sync((message.args as { full: boolean }).full);
    case 'seedTotp':
      return seedTotp((message.args as { users: readonly TotpUser[] }).users);
    case 'stop':
      await stop();
      return { mailsSent };
  }
}

function reply(message: ReplyMessage): Promise<void> {
  return new Promise((resolve, reject) => {
    if (process.send === undefined) {
      reject(new Error('bench/directory-server-process.ts must be started by the benchmark'));
      return;
    }
    process.send(message, (error: Error | null) => {
      if (error === null) resolve();
      else reject(error);
    });
  });
}

/** The error with its SsprError details and causes (the agent's error code travels there). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const details = (error as { details?: unknown }).details;
  const parts = [error.stack ?? error.message];
  if (details !== undefined) parts.push(`details: ${JSON.stringify(details)}`);
  if (error.cause !== undefined) parts.push(`cause: ${describe(error.cause)}`);
  return parts.join('\n');
}

process.on('message', (raw: unknown) => {
  const message = raw as RequestMessage;
  handle(message)
    .then(async (result) => {
      await reply({ id: message.id, ok: true, result });
      if (message.op === 'stop') process.exit(0);
    })
    .catch(async (error: unknown) => {
      await reply({ id: message.id, ok: false, error: describe(error) }).catch(() => undefined);
    });
});

// The benchmark went away (crash, Ctrl+C): close the store and leave.
process.on('disconnect', () => {
  void stop()
    .catch(() => undefined)
    .finally(() => process.exit(0));
});
