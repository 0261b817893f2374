/**
 * Directory sync at scale: an initial (full) sync of N users and a delta sync of M changes, from a
 * real directory through the real `sspr agent` (its own process) into the server's store (SQLite),
 * with the wall time, objects per second, peak RSS and CPU of the server and the agent.
 *
 * Each size gets a fresh private directory (bench/directory-servers.ts) seeded offline with the
 * fastest path that produces real directory objects: OpenLDAP `slapadd` of generated LDIF into the
 * stopped slapd; Samba `ldbadd` of generated LDIF straight into the stopped DC's sam.ldb (through
 * Samba's own ldb modules, so objectGUID, objectSid, memberOf … are Samba's), in chunks of
 * `CHUNK` objects. Users are enabled (userAccountControl 544) but have no password: hashing one
 * costs Samba ~50 ms each, and the sync does not read it. One group per `groupSize` users.
 * The delta: `changes` users get a new telephoneNumber over LDAP (as the admin), then a delta sync.
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { Attribute, Change } from 'ldapts';
import { cleanupScope } from './cleanup.js';
import type { SyncResult } from './directory-messages.js';
import {
  startBenchDirectory,
  type BenchDirectory,
  type DirectoryName,
} from './directory-servers.js';
import { boundClient, unbindAll } from './ldap-client.js';
import { cpuMsOf, groupCpuMeter, rssSampler, statusKb } from './proc.js';
import { fixed, int, progress, renderTable } from './report.js';
import { startStack, type Stack } from './server-stack.js';
import { runWorkers, ticker } from './workers.js';

export interface SyncBenchOptions {
  readonly directories: readonly DirectoryName[];
  /** Users per run; each size is a fresh directory. */
  readonly sizes: Readonly<Record<DirectoryName, readonly number[]>>;
  /** Users modified before the delta sync. */
  readonly changes: number;
  /** One group per this many users (members: those users). */
  readonly groupSize: number;
}

export interface Measured {
  readonly result: SyncResult;
  readonly serverPeakMiB: number;
  readonly agentPeakMiB: number;
  readonly serverCpuMs: number;
  readonly agentCpuMs: number;
  readonly directoryCpuMs: number;
}

export interface SyncRow {
  readonly directory: DirectoryName;
  readonly label: string;
  readonly users: number;
  readonly groups: number;
  readonly seed: {
    readonly method: 'slapadd' | 'ldbadd';
    readonly ms: number;
    /** Samba: objects/s of the first and the last ldbadd chunk (it slows as sam.ldb grows). */
    readonly firstChunkPerSecond: number | null;
    readonly lastChunkPerSecond: number | null;
    /**
     * Samba: an ESTIMATE (not a measurement) of ldbadd for 100,000 users, from a straight line
     * fitted to the time of each 1,000-user run against the users already in sam.ldb.
     */
    readonly estimated100kSeconds: number | null;
  };
  /** RSS right after the agent connected, before the first sync. */
  readonly serverStartMiB: number;
  readonly agentStartMiB: number;
  readonly full: Measured;
  readonly changes: { readonly count: number; readonly ms: number };
  readonly delta: Measured;
}

/** Objects per ldbadd run: one transaction each (a single 10,000-object run is twice as slow). */
const CHUNK = 1000;

export async function runSyncBench(options: SyncBenchOptions): Promise<SyncRow[]> {
  const rows: SyncRow[] = [];
  for (const name of options.directories) {
    for (const size of options.sizes[name]) rows.push(await benchOne(name, size, options));
  }
  return rows;
}

async function benchOne(
  name: DirectoryName,
  size: number,
  options: SyncBenchOptions,
): Promise<SyncRow> {
  const root = await mkdtemp(join(tmpdir(), `opensspr-bench-sync-${name}-`));
  const cleanup = cleanupScope();
  cleanup.add('temp directory', () => rm(root, { recursive: true, force: true }));
  const tag = `sync ${name} ${int(size)}`;
  try {
    progress(`${tag}: starting a private directory server`);
    const directory = await startBenchDirectory(name, join(root, name));
    cleanup.add(`${name} server`, () => directory.stop());
    const groups = Math.ceil(size / options.groupSize);

    progress(`${tag}: seeding ${int(size)} users and ${int(groups)} groups offline`);
    await directory.halt();
    const seed =
      name === 'openldap'
        ? await seedOpenLdap(directory, root, size, options.groupSize)
        : await seedSamba(directory, root, size, options.groupSize, tag);
    progress(`${tag}: seeded in ${fixed(seed.ms / 1000, 1)} s; starting the directory again`);
    await directory.resume();

    progress(`${tag}: starting the server and an agent (own processes)`);
    const stack = await startStack({
      dir: join(root, 'stack'),
      directory: directory.agent,
      timingFloorMs: null,
    });
    cleanup.add('server and agent', () => stack.stop());
    const serverStartMiB = statusKb(stack.serverPid, 'VmRSS') / 1024;
    const agentStartMiB = statusKb(stack.agentPid, 'VmRSS') / 1024;
    const daemonPid = await directory.pid();

    progress(`${tag}: full sync`);
    const full = await measuredSync(stack, daemonPid, true);
    if (full.result.error !== null)
      throw new Error(`${tag}: full sync failed: ${full.result.error}`);
    if (full.result.users.added < size) {
      throw new Error(
        `${tag}: the full sync added ${full.result.users.added} users, expected ≥ ${size}`,
      );
    }
    progress(
      `${tag}: full sync ${int(full.result.users.added)} users + ${int(full.result.groups.added)} groups in ${fixed(full.result.ms / 1000, 1)} s`,
    );

    const count = Math.min(options.changes, size);
    progress(`${tag}: changing telephoneNumber of ${int(count)} users over LDAP`);
    const changes = await modifyUsers(directory, size, count);

    progress(`${tag}: delta sync`);
    const delta = await measuredSync(stack, daemonPid, false);
    if (delta.result.error !== null)
      throw new Error(`${tag}: delta sync failed: ${delta.result.error}`);
    if (delta.result.users.updated < count) {
      throw new Error(
        `${tag}: the delta updated ${delta.result.users.updated} users, expected ≥ ${count}`,
      );
    }
    return {
      directory: name,
      label: directory.label,
      users: size,
      groups,
      seed,
      serverStartMiB,
      agentStartMiB,
      full,
      changes: { count, ms: changes },
      delta,
    };
  } finally {
    await cleanup.close();
  }
}

async function measuredSync(stack: Stack, daemonPid: number, full: boolean): Promise<Measured> {
  const rss = rssSampler([stack.serverPid, stack.agentPid]);
  const before = { server: cpuMsOf([stack.serverPid]), agent: cpuMsOf([stack.agentPid]) };
  const directoryCpu = groupCpuMeter(daemonPid);
  const stopTicker = ticker(() => {
    const mib = (pid: number) => fixed(statusKb(pid, 'VmRSS') / 1024, 0);
    return `syncing; RSS server ${mib(stack.serverPid)} MiB, agent ${mib(stack.agentPid)} MiB`;
  }, 10_000);
  try {
    // The gateway gives a run 10 minutes; allow for its answer.
    const result = await stack.call('sync', { full }, 11 * 60_000).catch((error: unknown) => {
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}\nagent log:\n${stack.agentLog()}`,
        { cause: error },
      );
    });
    const peaks = rss.stop();
    return {
      result,
      serverPeakMiB: peaks.get(stack.serverPid) ?? Number.NaN,
      agentPeakMiB: peaks.get(stack.agentPid) ?? Number.NaN,
      serverCpuMs: cpuMsOf([stack.serverPid]) - before.server,
      agentCpuMs: cpuMsOf([stack.agentPid]) - before.agent,
      directoryCpuMs: directoryCpu.stop(),
    };
  } finally {
    stopTicker();
    rss.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// Offline seeding

const pad = (n: number, width: number): string => String(n).padStart(width, '0');
const phone = (n: number): string => `+44 20 7946 ${pad(n % 10_000, 4)}`;

/** GeneralizedTime a day ago: older than the OpenLDAP adapter's 5-minute delta overlap. */
function aDayAgo(): string {
  const iso = new Date(Date.now() - 86_400_000).toISOString();
  return `${iso.slice(0, 19).replace(/[-:T]/g, '')}Z`;
}

async function seedOpenLdap(
  directory: BenchDirectory,
  root: string,
  size: number,
  groupSize: number,
): Promise<SyncRow['seed']> {
  const ou = `ou=sync,${directory.scopeDn}`;
  // Seeded long ago, as in a directory that exists before the product: only the delta's own
  // changes are newer than the delta cookie.
  const stamp = aDayAgo();
  const stamps = [`createTimestamp: ${stamp}`, `modifyTimestamp: ${stamp}`];
  const lines = [`dn: ${ou}`, 'objectClass: organizationalUnit', 'ou: sync', ...stamps, ''];
  for (let i = 0; i < size; i++) {
    const n = pad(i, 6);
    lines.push(
      `dn: uid=sync${n},${ou}`,
      'objectClass: inetOrgPerson',
      `uid: sync${n}`,
      `cn: Sync User ${n}`,
      `sn: User${n}`,
      'givenName: Sync',
      `displayName: Sync User ${n}`,
      `mail: sync${n}@${directory.upnDomain}`,
      `telephoneNumber: ${phone(i)}`,
      ...stamps,
      '',
    );
  }
  for (let g = 0; g * groupSize < size; g++) {
    lines.push(
      `dn: cn=sync-group-${pad(g, 4)},${ou}`,
      'objectClass: groupOfNames',
      `cn: sync-group-${pad(g, 4)}`,
    );
    for (let i = g * groupSize; i < Math.min(size, (g + 1) * groupSize); i++) {
      lines.push(`member: uid=sync${pad(i, 6)},${ou}`);
    }
    lines.push(...stamps, '');
  }
  const file = join(root, 'sync.ldif');
  await writeFile(file, lines.join('\n'));
  const begin = performance.now();
  await runCommand('slapadd', [
    '-q',
    '-n',
    '1',
    '-F',
    join(directory.instanceDir, 'slapd.d'),
    '-l',
    file,
  ]);
  return {
    method: 'slapadd',
    ms: performance.now() - begin,
    firstChunkPerSecond: null,
    lastChunkPerSecond: null,
    estimated100kSeconds: null,
  };
}

async function seedSamba(
  directory: BenchDirectory,
  root: string,
  size: number,
  groupSize: number,
  tag: string,
): Promise<SyncRow['seed']> {
  const ou = `OU=Sync,${directory.scopeDn}`;
  const userDn = (i: number): string => `CN=sync${pad(i, 6)},${ou}`;
  const objects: string[] = [[`dn: ${ou}`, 'objectClass: organizationalUnit', ''].join('\n')];
  for (let i = 0; i < size; i++) {
    const n = pad(i, 6);
    objects.push(
      [
        `dn: ${userDn(i)}`,
        'objectClass: user',
        `sAMAccountName: sync${n}`,
        `userPrincipalName: sync${n}@${directory.upnDomain}`,
        'givenName: Sync',
        `sn: User${n}`,
        `displayName: Sync User ${n}`,
        `mail: sync${n}@${directory.upnDomain}`,
        `telephoneNumber: ${phone(i)}`,
        // Enabled, password not required: no password hash to compute (see the header).
        'userAccountControl: 544',
        '',
      ].join('\n'),
    );
  }
  for (let g = 0; g * groupSize < size; g++) {
    const name = `sync-group-${pad(g, 4)}`;
    const members: string[] = [];
    for (let i = g * groupSize; i < Math.min(size, (g + 1) * groupSize); i++) {
      members.push(`member: ${userDn(i)}`);
    }
    objects.push(
      [
        `dn: CN=${name},${ou}`,
        'objectClass: group',
        `sAMAccountName: ${name}`,
        ...members,
        '',
      ].join('\n'),
    );
  }
  const file = join(root, 'sync-chunk.ldif');
  const conf = join(directory.instanceDir, 'etc', 'smb.conf');
  const samLdb = join(directory.instanceDir, 'private', 'sam.ldb');
  const rates: number[] = [];
  const begin = performance.now();
  for (let from = 0; from < objects.length; from += CHUNK) {
    const chunk = objects.slice(from, from + CHUNK);
    await writeFile(file, chunk.join('\n'));
    const t = performance.now();
    await runCommand('ldbadd', [`--configfile=${conf}`, '--nosync', '-H', samLdb, file]);
    rates.push(chunk.length / ((performance.now() - t) / 1000));
    progress(
      `${tag}:   ldbadd ${int(Math.min(from + CHUNK, objects.length))}/${int(objects.length)} objects, ` +
        `${fixed(rates.at(-1) ?? 0, 0)}/s`,
    );
  }
  const full = rates.filter((_, i) => (i + 1) * CHUNK <= size); // chunks of users only
  return {
    method: 'ldbadd',
    ms: performance.now() - begin,
    firstChunkPerSecond: full[0] ?? rates[0] ?? null,
    lastChunkPerSecond: full.at(-1) ?? rates.at(-1) ?? null,
    estimated100kSeconds:
      size < 100_000
        ? extrapolate(
            full.map((r) => CHUNK / r),
            100_000 / CHUNK,
          )
        : null,
  };
}

/** Least-squares line through (k, seconds of run k), summed over `runs` runs; null if too few. */
function extrapolate(seconds: readonly number[], runs: number): number | null {
  const n = seconds.length;
  if (n < 3) return null;
  const meanK = (n - 1) / 2;
  const meanT = seconds.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  seconds.forEach((t, k) => {
    num += (k - meanK) * (t - meanT);
    den += (k - meanK) ** 2;
  });
  const slope = num / den;
  const intercept = meanT - slope * meanK;
  return runs * intercept + (slope * runs * (runs - 1)) / 2;
}

function runCommand(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} ${args.join(' ')} exited ${String(code)}: ${stderr}`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// The delta's changes

/** Gives `count` users spread over the directory a new telephoneNumber; wall time in ms. */
async function modifyUsers(
  directory: BenchDirectory,
  size: number,
  count: number,
): Promise<number> {
  const ad = directory.name === 'samba';
  const ou = ad ? `OU=Sync,${directory.scopeDn}` : `ou=sync,${directory.scopeDn}`;
  const concurrency = ad ? 4 : 8;
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
  let done = 0;
  const stopTicker = ticker(() => `${done}/${count} users changed`);
  try {
    const { elapsedMs } = await runWorkers({
      workers: clients,
      maxTasks: count,
      maxMs: Infinity,
      task: async (client, k) => {
        const i = Math.floor((k * size) / count);
        const n = pad(i, 6);
        const dn = ad ? `CN=sync${n},${ou}` : `uid=sync${n},${ou}`;
        await client.modify(
          dn,
          new Change({
            operation: 'replace',
            modification: new Attribute({
              type: 'telephoneNumber',
              values: [`+1 425 555 ${pad(k % 10_000, 4)}`],
            }),
          }),
        );
        done++;
      },
    });
    return elapsedMs;
  } finally {
    stopTicker();
    await unbindAll(clients);
  }
}

// ---------------------------------------------------------------------------------------------
// Tables

const mib = (value: number): string => fixed(value, 0);
const seconds = (msValue: number): string => fixed(msValue / 1000, 1);

/** Objects the run carried: users and groups added, updated or unchanged. */
function objectsOf(r: SyncResult): number {
  return r.users.added + r.users.updated + r.unchangedUsers + r.groups.added + r.groups.updated;
}

export function renderSyncTable(rows: readonly SyncRow[]): string {
  return renderTable(
    [
      { header: 'directory', align: 'left' },
      { header: 'users' },
      { header: 'groups' },
      { header: 'seeded by', align: 'left' },
      { header: 'seed s' },
      { header: 'full sync s' },
      { header: 'objects/s' },
      { header: 'server peak MiB' },
      { header: 'agent peak MiB' },
      { header: 'CPU s server / agent / dir' },
    ],
    rows.map((r) => [
      r.directory,
      int(r.users),
      int(r.groups),
      r.seed.method,
      seconds(r.seed.ms),
      seconds(r.full.result.ms),
      int(objectsOf(r.full.result) / (r.full.result.ms / 1000)),
      `${mib(r.full.serverPeakMiB)} (${mib(r.serverStartMiB)})`,
      `${mib(r.full.agentPeakMiB)} (${mib(r.agentStartMiB)})`,
      `${seconds(r.full.serverCpuMs)} / ${seconds(r.full.agentCpuMs)} / ${seconds(r.full.directoryCpuMs)}`,
    ]),
  );
}

export function renderDeltaTable(rows: readonly SyncRow[]): string {
  return renderTable(
    [
      { header: 'directory', align: 'left' },
      { header: 'users' },
      { header: 'changed' },
      { header: 'modify s' },
      { header: 'delta sync ms' },
      { header: 'objects sent' },
      { header: 'updated' },
      { header: 'objects/s' },
      { header: 'server peak MiB' },
      { header: 'agent peak MiB' },
      { header: 'CPU ms server / agent / dir' },
    ],
    rows.map((r) => {
      const d = r.delta.result;
      return [
        r.directory,
        int(r.users),
        int(r.changes.count),
        seconds(r.changes.ms),
        int(d.ms),
        int(objectsOf(d)),
        int(d.users.updated),
        int(objectsOf(d) / (d.ms / 1000)),
        mib(r.delta.serverPeakMiB),
        mib(r.delta.agentPeakMiB),
        `${int(r.delta.serverCpuMs)} / ${int(r.delta.agentCpuMs)} / ${int(r.delta.directoryCpuMs)}`,
      ];
    }),
  );
}

/** One line per row about the seeding (Samba's ldbadd slows down as sam.ldb grows). */
export function seedNotes(rows: readonly SyncRow[]): string[] {
  return rows.map((r) => {
    const rate = int((r.users + r.groups) / (r.seed.ms / 1000));
    const chunks =
      r.seed.firstChunkPerSecond === null || r.seed.lastChunkPerSecond === null
        ? ''
        : `; ${int(CHUNK)}-object ldbadd runs went from ${int(r.seed.firstChunkPerSecond)}/s to ${int(r.seed.lastChunkPerSecond)}/s`;
    const estimate =
      r.seed.estimated100kSeconds === null
        ? ''
        : `; at that slowdown 100,000 users would take ≈ ${int(r.seed.estimated100kSeconds / 60)} min (estimate, not run)`;
    return `${r.directory} ${int(r.users)}: ${r.label}; ${r.seed.method} ${int(r.users + r.groups)} objects in ${seconds(r.seed.ms)} s (${rate}/s)${chunks}${estimate}`;
  });
}
