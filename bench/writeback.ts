/**
 * Password writeback through the whole stack against the physical limit, per directory, in one run.
 *
 * Ours: complete self-service resets over HTTP (start → TOTP gate → new password) against the
 * server process, which hands each directory operation to the real `sspr agent` (its own
 * process, over the WebSocket), which writes to the directory with the product's LDAP adapter.
 * Raw: the same directory, the same users, the same concurrency, one pre-bound ldapts connection
 * per worker as the same service account, doing nothing but the password write (AD: replace
 * unicodePwd over LDAPS; OpenLDAP: the Password Modify extended operation).
 *
 * Setup per directory: a private server (bench/directory-servers.ts), N bench users created over
 * LDAP as the administrator, one full sync to the server, a TOTP method per user put straight
 * into the store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, type Client } from 'ldapts';
import { createNodeRandom } from '../src/adapters/crypto/node-random.js';
import { generateTotpSecret } from '../src/domain/methods/totp.js';
import { cleanupScope } from './cleanup.js';
import {
  startBenchDirectory,
  type BenchDirectory,
  type DirectoryName,
} from './directory-servers.js';
import { createJsonClient } from './http-client.js';
import { driveFlows, type Step } from './flow-driver.js';
import {
  PASSWORD_MODIFY_OID,
  boundClient,
  passwordModifyValue,
  unbindAll,
  unicodePwd,
} from './ldap-client.js';
import { cpuMsOf, groupCpuMeter } from './proc.js';
import { countGroups, fixed, int, ms, progress, renderTable } from './report.js';
import { startStack } from './server-stack.js';
import { percentile } from './stats.js';
import { runWorkers, ticker } from './workers.js';

export interface WritebackTarget {
  /** Bench users created in the directory (each gets one flow reset and one raw write). */
  readonly users: number;
  readonly concurrency: number;
  /** Time bound of each measured phase (ours, raw). */
  readonly seconds: number;
}

export interface WritebackOptions {
  readonly directories: readonly DirectoryName[];
  readonly targets: Readonly<Record<DirectoryName, WritebackTarget>>;
  /** Flows and raw writes run first and not counted (JIT, connections, caches). */
  readonly warmup: number;
  /** null: the production default (250 ms). */
  readonly timingFloorMs: number | null;
}

export interface WritebackFailure {
  readonly directory: DirectoryName;
  readonly phase: 'ours warm-up' | 'ours' | 'raw warm-up' | 'raw';
  readonly step: Step | 'write';
  readonly status: number;
  readonly detail: string;
  readonly user: string;
}

export interface WritebackRow {
  readonly directory: DirectoryName;
  readonly label: string;
  readonly target: WritebackTarget;
  readonly timingFloorMs: number;
  readonly setup: { readonly created: number; readonly createMs: number; readonly syncMs: number };
  readonly ours: {
    readonly completed: number;
    readonly failed: number;
    readonly elapsedMs: number;
    readonly flowMs: readonly number[];
    readonly stepMs: Readonly<Record<Step, readonly number[]>>;
    readonly serverCpuMs: number;
    readonly agentCpuMs: number;
    readonly directoryCpuMs: number;
  };
  readonly raw: {
    readonly completed: number;
    readonly failed: number;
    readonly elapsedMs: number;
    readonly writeMs: readonly number[];
    readonly directoryCpuMs: number;
  };
}

export interface WritebackResult {
  readonly rows: readonly WritebackRow[];
  readonly failures: readonly WritebackFailure[];
}

interface BenchUser {
  readonly dn: string;
  readonly upn: string;
  readonly secret: string;
}

/** New passwords: unique per user and per path, accepted by the cloud rules and both directories. */
const flowPassword = (i: number): string => `Harbor-Kite-${String(i).padStart(5, '0')}!`;
const rawPassword = (i: number): string => `Raw-Ledger-${String(i).padStart(5, '0')}#q`;
const initialPassword = (i: number): string => `First-Meadow-${String(i).padStart(5, '0')}%z`;

export async function runWritebackBench(options: WritebackOptions): Promise<WritebackResult> {
  const rows: WritebackRow[] = [];
  const failures: WritebackFailure[] = [];
  for (const name of options.directories) {
    const row = await benchOne(name, options, failures);
    rows.push(row);
  }
  return { rows, failures };
}

async function benchOne(
  name: DirectoryName,
  options: WritebackOptions,
  failures: WritebackFailure[],
): Promise<WritebackRow> {
  const target = options.targets[name];
  const warm = Math.min(options.warmup, Math.floor(target.users / 4));
  const root = await mkdtemp(join(tmpdir(), `opensspr-bench-wb-${name}-`));
  const cleanup = cleanupScope();
  cleanup.add('temp directory', () => rm(root, { recursive: true, force: true }));
  try {
    progress(`writeback ${name}: starting a private directory server`);
    const directory = await startBenchDirectory(name, join(root, name));
    cleanup.add(`${name} server`, () => directory.stop());

    progress(`writeback ${name}: creating ${target.users} bench users over LDAP as the admin`);
    const created = await createBenchUsers(
      directory,
      target.users,
      Math.min(target.concurrency, 8),
    );

    progress(`writeback ${name}: starting the server and an agent (own processes)`);
    const stack = await startStack({
      dir: join(root, 'stack'),
      directory: directory.agent,
      timingFloorMs: options.timingFloorMs,
    });
    const stopStack = cleanup.add('server and agent', async () => {
      const { mailsSent } = await stack.stop();
      if (mailsSent > 0) progress(`writeback ${name}: warning, the server sent ${mailsSent} mails`);
    });
    const synced = await stack.call('sync', { full: true }, 600_000);
    if (synced.error !== null) throw new Error(`full sync failed: ${synced.error}`);
    progress(
      `writeback ${name}: full sync ${int(synced.users.added)} users in ${int(synced.ms)} ms; giving each bench user TOTP`,
    );
    const seeded = await stack.call('seedTotp', { users: created.users }, 300_000);
    if (seeded.missing.length > 0) {
      throw new Error(
        `${seeded.missing.length} bench users are not in the store after the sync, e.g. ${seeded.missing.slice(0, 3).join(', ')}`,
      );
    }

    const client = createJsonClient(stack.url, target.concurrency);
    const daemonPid = await directory.pid();
    let ours: WritebackRow['ours'];
    try {
      const warmUsers = created.users.slice(0, warm);
      progress(`writeback ${name}: ours, warm-up ${warmUsers.length} flows`);
      const warmRun = await driveFlows(client, warmUsers, {
        concurrency: target.concurrency,
        maxMs: Infinity,
        passwordFor: flowPassword,
      });
      for (const f of warmRun.failures)
        failures.push({ ...f, directory: name, phase: 'ours warm-up' });

      const measured = created.users.slice(warm);
      progress(
        `writeback ${name}: ours, up to ${measured.length} flows or ${target.seconds} s, concurrency ${target.concurrency}`,
      );
      const cpuBefore = { server: cpuMsOf([stack.serverPid]), agent: cpuMsOf([stack.agentPid]) };
      const directoryCpu = groupCpuMeter(daemonPid);
      const run = await driveFlows(client, measured, {
        concurrency: target.concurrency,
        maxMs: target.seconds * 1000,
        passwordFor: flowPassword,
        indexOffset: warm,
      });
      const directoryCpuMs = directoryCpu.stop();
      for (const f of run.failures) failures.push({ ...f, directory: name, phase: 'ours' });
      ours = {
        completed: run.flowMs.length,
        failed: run.failures.length,
        elapsedMs: run.elapsedMs,
        flowMs: run.flowMs,
        stepMs: run.stepMs,
        serverCpuMs: cpuMsOf([stack.serverPid]) - cpuBefore.server,
        agentCpuMs: cpuMsOf([stack.agentPid]) - cpuBefore.agent,
        directoryCpuMs,
      };
    } finally {
      client.close();
    }
    await stopStack();

    const raw = await rawWrites(directory, created.users, warm, target, failures);
    return {
      directory: name,
      label: directory.label,
      target,
      timingFloorMs: stack.timingFloorMs,
      setup: { created: created.users.length, createMs: created.ms, syncMs: synced.ms },
      ours,
      raw,
    };
  } finally {
    await cleanup.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Bench users

async function createBenchUsers(
  directory: BenchDirectory,
  count: number,
  concurrency: number,
): Promise<{ users: BenchUser[]; ms: number }> {
  const random = createNodeRandom();
  const ad = directory.name === 'samba';
  const ou = ad ? `OU=Bench,${directory.scopeDn}` : `ou=bench,${directory.scopeDn}`;
  const users: BenchUser[] = Array.from({ length: count }, (_, i) => {
    const account = `bench${String(i).padStart(5, '0')}`;
    return {
      dn: ad ? `CN=${account},${ou}` : `uid=${account},${ou}`,
      upn: `${account}@${directory.upnDomain}`,
      secret: generateTotpSecret(random),
    };
  });
  const clients = await Promise.all(
    Array.from({ length: concurrency }, () =>
      boundClient(
        directory.ldapsUrl,
        directory.caFile,
        directory.admin.dn,
        directory.admin.password,
      ),
    ),
  );
  try {
    const [first] = clients;
    if (first === undefined) throw new Error('no LDAP client');
    await first.add(
      ou,
      ad
        ? { objectClass: 'organizationalUnit' }
        : { objectClass: 'organizationalUnit', ou: 'bench' },
    );
    const begin = performance.now();
    await runWorkers({
      workers: clients,
      maxTasks: count,
      maxMs: Infinity,
      task: async (client, i) => {
        const account = `bench${String(i).padStart(5, '0')}`;
        const user = users[i];
        if (user === undefined) return;
        // One name for all: AD-style complexity refuses a password containing a part of the
        // full name (3+ characters), and the new passwords carry the user's number.
        const common = { givenName: 'Load', sn: 'Tester', displayName: 'Load Tester' };
        // With a password, like someone who forgot theirs: both measured writes then replace an
        // existing password (Samba spends measurably less CPU on a first password).
        const initial = initialPassword(i);
        await client.add(
          user.dn,
          ad
            ? [
                new Attribute({ type: 'objectClass', values: ['user'] }),
                new Attribute({ type: 'sAMAccountName', values: [account] }),
                new Attribute({ type: 'userPrincipalName', values: [user.upn] }),
                new Attribute({ type: 'unicodePwd', values: [unicodePwd(initial)] }),
                new Attribute({ type: 'userAccountControl', values: ['512'] }), // enabled
                ...Object.entries(common).map(
                  ([type, value]) => new Attribute({ type, values: [value] }),
                ),
              ]
            : {
                objectClass: 'inetOrgPerson',
                uid: account,
                cn: account,
                userPassword: initial,
                ...common,
              },
        );
      },
    });
    return { users, ms: performance.now() - begin };
  } finally {
    await unbindAll(clients);
  }
}

// ---------------------------------------------------------------------------------------------
// Raw: the password write alone, on pre-bound connections

/**
 * The raw phase cycles through the measured users (each write a new password) for
 * `min(seconds, 10)` s or `RAW_ROUNDS` rounds: long enough for a steady rate even where one
 * round takes a fraction of a second (OpenLDAP).
 */
const RAW_SECONDS = 10;
const RAW_ROUNDS = 20;
export const rawLimits = (
  target: WritebackTarget,
  users: number,
): { writes: number; seconds: number } => ({
  writes: users * RAW_ROUNDS,
  seconds: Math.min(target.seconds, RAW_SECONDS),
});

async function rawWrites(
  directory: BenchDirectory,
  users: readonly BenchUser[],
  warm: number,
  target: WritebackTarget,
  failures: WritebackFailure[],
): Promise<WritebackRow['raw']> {
  const name = directory.name;
  const clients = await Promise.all(
    Array.from({ length: target.concurrency }, () =>
      boundClient(
        directory.ldapsUrl,
        directory.caFile,
        directory.service.dn,
        directory.service.password,
      ),
    ),
  );
  const write = async (client: Client, user: BenchUser, index: number): Promise<void> => {
    if (name === 'samba') {
      await client.modify(
        user.dn,
        new Change({
          operation: 'replace',
          modification: new Attribute({
            type: 'unicodePwd',
            values: [unicodePwd(rawPassword(index))],
          }),
        }),
      );
    } else {
      await client.exop(PASSWORD_MODIFY_OID, passwordModifyValue(user.dn, rawPassword(index)));
    }
  };
  /** Writes `maxTasks` passwords, cycling through `list` (a new password each time). */
  const runPhase = async (
    list: readonly BenchUser[],
    offset: number,
    maxTasks: number,
    maxMs: number,
    phase: 'raw warm-up' | 'raw',
  ) => {
    const writeMs: number[] = [];
    let failed = 0;
    const stopTicker = Number.isFinite(maxMs)
      ? ticker(() => `${writeMs.length} raw writes done, ${failed} failed`)
      : () => undefined;
    try {
      const { elapsedMs } = await runWorkers({
        workers: clients,
        maxTasks,
        maxMs,
        task: async (client, index) => {
          const user = list[index % list.length];
          if (user === undefined) return;
          const begin = performance.now();
          try {
            await write(client, user, offset + index);
            writeMs.push(performance.now() - begin);
          } catch (error) {
            failed++;
            failures.push({
              directory: name,
              phase,
              step: 'write',
              status: (error as { code?: number }).code ?? 0,
              detail: error instanceof Error ? error.message : String(error),
              user: user.upn,
            });
          }
        },
      });
      return { writeMs, failed, elapsedMs };
    } finally {
      stopTicker();
    }
  };
  try {
    progress(`writeback ${name}: raw, warm-up ${warm} writes`);
    await runPhase(users.slice(0, warm), 0, warm, Infinity, 'raw warm-up');
    const measured = users.slice(warm);
    const limits = rawLimits(target, measured.length);
    progress(
      `writeback ${name}: raw, up to ${limits.writes} writes or ${limits.seconds} s, concurrency ${target.concurrency}`,
    );
    const directoryCpu = groupCpuMeter(await directory.pid());
    const run = await runPhase(measured, warm, limits.writes, limits.seconds * 1000, 'raw');
    return {
      completed: run.writeMs.length,
      failed: run.failed,
      elapsedMs: run.elapsedMs,
      writeMs: run.writeMs,
      directoryCpuMs: directoryCpu.stop(),
    };
  } finally {
    await unbindAll(clients);
  }
}

// ---------------------------------------------------------------------------------------------
// Tables

const pair = (values: readonly number[]): string =>
  `${ms(percentile(values, 50))} / ${ms(percentile(values, 99))}`;

export function renderWritebackTable(result: WritebackResult): string {
  const rows = result.rows.map((r) => {
    const oursRate = r.ours.completed / (r.ours.elapsedMs / 1000);
    const rawRate = r.raw.completed / (r.raw.elapsedMs / 1000);
    return [
      r.directory,
      String(r.target.concurrency),
      int(r.ours.completed),
      int(r.ours.failed),
      fixed(r.ours.elapsedMs / 1000, 1),
      fixed(oursRate, 1),
      pair(r.ours.flowMs),
      pair(r.ours.stepMs.reset),
      int(r.raw.completed),
      fixed(r.raw.elapsedMs / 1000, 1),
      fixed(rawRate, 1),
      pair(r.raw.writeMs),
      `${fixed((100 * oursRate) / rawRate, 1)}%`,
    ];
  });
  return renderTable(
    [
      { header: 'directory', align: 'left' },
      { header: 'conc' },
      { header: 'flows' },
      { header: 'failed' },
      { header: 'time s' },
      { header: 'flows/s' },
      { header: 'flow p50 / p99' },
      { header: 'reset p50 / p99' },
      { header: 'raw writes' },
      { header: 'time s' },
      { header: 'writes/s' },
      { header: 'write p50 / p99' },
      { header: 'ours/raw' },
    ],
    rows,
  );
}

/** Where the time goes: CPU per operation of each process, and the other steps' latency. */
export function renderWritebackCpuTable(result: WritebackResult): string {
  const per = (total: number, count: number): string => ms(total / Math.max(1, count));
  const rows = result.rows.map((r) => {
    const flows = r.ours.completed + r.ours.failed;
    return [
      r.directory,
      pair(r.ours.stepMs.start),
      pair(r.ours.stepMs.verify),
      per(r.ours.serverCpuMs, flows),
      per(r.ours.agentCpuMs, flows),
      per(r.ours.directoryCpuMs, flows),
      per(r.raw.directoryCpuMs, r.raw.completed + r.raw.failed),
    ];
  });
  return renderTable(
    [
      { header: 'directory', align: 'left' },
      { header: 'start p50 / p99' },
      { header: 'verify p50 / p99' },
      { header: 'server CPU ms/flow' },
      { header: 'agent CPU ms/flow' },
      { header: 'directory CPU ms/flow' },
      { header: 'directory CPU ms/raw write' },
    ],
    rows,
  );
}

export function renderWritebackFailures(failures: readonly WritebackFailure[], limit = 20): string {
  const rows = countGroups(
    failures,
    (f) => `${f.directory}|${f.phase}|${f.step}|${f.status}|${f.detail}`,
    limit,
  ).map(({ item: f, count }) => [
    int(count),
    f.directory,
    f.phase,
    f.step,
    String(f.status),
    f.detail.split('\n', 1)[0] ?? '',
    f.user,
  ]);
  return renderTable(
    [
      { header: 'count' },
      { header: 'directory', align: 'left' },
      { header: 'phase', align: 'left' },
      { header: 'step', align: 'left' },
      { header: 'status' },
      { header: 'answer', align: 'left' },
      { header: 'e.g. user', align: 'left' },
    ],
    rows,
  );
}
