/**
 * `npm run bench`: every benchmark of docs/performance.md in one run, tables on stdout, progress
 * on stderr. Exits non-zero when a flow failed (the failures are listed) or a benchmark broke.
 *
 *   npm run bench                              # the full run (about 4–5 minutes on 2 cores, as root)
 *   npm run bench -- --only banned             # one section: banned | http | writeback | sync
 *   npm run bench -- --stores sqlite --flows 100 --seconds 10
 *   npm run bench -- --only writeback --directories openldap
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { OWASP_ARGON2ID } from '../src/adapters/crypto/argon2-hasher.js';
import { measureArgon2 } from './argon2.js';
import { renderBannedTable, runBannedBench } from './banned-passwords.js';
import {
  renderFailures,
  renderFlowTable,
  runFlowBench,
  usersNeeded,
  type StoreName,
} from './http-flows.js';
import { renderAuditTable, runAuditBench, type AuditStoreName } from './audit-export.js';
import { DIRECTORY_NAMES, type DirectoryName } from './directory-servers.js';
import { renderDeltaTable, renderSyncTable, runSyncBench, seedNotes } from './directory-sync.js';
import { fixed, int, machineLine, ms } from './report.js';
import {
  rawLimits,
  renderWritebackCpuTable,
  renderWritebackFailures,
  renderWritebackTable,
  runWritebackBench,
} from './writeback.js';

const SECTIONS = ['banned', 'http', 'writeback', 'sync', 'audit'] as const;
type Section = (typeof SECTIONS)[number];

const USAGE = `usage: npm run bench -- [--only banned|http|writeback|sync|audit]
  http, audit: [--stores sqlite,postgres] [--concurrency 32] [--flows 400] [--seconds 30]
              [--warmup 32] [--users 2000]
  banned:     [--measure-ms 1000]
  writeback, sync: [--directories samba,openldap]
  writeback:  [--samba-users 300] [--samba-concurrency 4] [--samba-seconds 20]
              [--openldap-users 2000] [--openldap-concurrency 16] [--openldap-seconds 20]
              [--wb-warmup 8] [--wb-floor-ms 0]   (a number, or "default": the production 250 ms)
  sync:       [--samba-sync 10000] [--openldap-sync 10000,100000]   (users per run, one run each)
              [--sync-changes 1000] [--sync-group-size 100]
  audit:      [--audit-events 250000]`;

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`--${name} must be a positive integer`);
  return value;
}

/** "10000,100000" → [10000, 100000] */
const sizes = (name: string, text: string): number[] =>
  text.split(',').map((part) => positive(name, part.trim()));

function options() {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      stores: { type: 'string', default: 'sqlite,postgres' },
      concurrency: { type: 'string', default: '32' },
      flows: { type: 'string', default: '400' },
      seconds: { type: 'string', default: '30' },
      warmup: { type: 'string', default: '32' },
      users: { type: 'string', default: '2000' },
      'measure-ms': { type: 'string', default: '1000' },
      directories: { type: 'string', default: DIRECTORY_NAMES.join(',') },
      'samba-users': { type: 'string', default: '300' },
      'samba-concurrency': { type: 'string', default: '4' },
      'samba-seconds': { type: 'string', default: '20' },
      'openldap-users': { type: 'string', default: '2000' },
      'openldap-concurrency': { type: 'string', default: '16' },
      'openldap-seconds': { type: 'string', default: '20' },
      'wb-warmup': { type: 'string', default: '8' },
      'wb-floor-ms': { type: 'string', default: '0' },
      'samba-sync': { type: 'string', default: '10000' },
      'openldap-sync': { type: 'string', default: '10000,100000' },
      'sync-changes': { type: 'string', default: '1000' },
      'sync-group-size': { type: 'string', default: '100' },
      'audit-events': { type: 'string', default: '250000' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const only = values.only as Section | undefined;
  if (only !== undefined && !SECTIONS.includes(only)) {
    throw new Error(`--only must be one of ${SECTIONS.join(', ')}\n${USAGE}`);
  }
  const directories = values.directories.split(',').map((s) => s.trim());
  for (const name of directories) {
    if (!DIRECTORY_NAMES.includes(name as DirectoryName)) {
      throw new Error(`--directories: unknown directory "${name}" (${DIRECTORY_NAMES.join(', ')})`);
    }
  }
  const floor = values['wb-floor-ms'];
  if (floor !== 'default' && !(Number.isInteger(Number(floor)) && Number(floor) >= 0)) {
    throw new Error('--wb-floor-ms must be a whole number of ms or "default"');
  }
  const stores = values.stores.split(',').map((s) => s.trim());
  for (const store of stores) {
    if (store !== 'sqlite' && store !== 'postgres') {
      throw new Error(`--stores: unknown store "${store}" (sqlite, postgres)`);
    }
  }
  const run = (section: Section): boolean => only === undefined || only === section;
  return {
    banned: run('banned'),
    http: run('http'),
    writeback: run('writeback'),
    sync: run('sync'),
    audit: run('audit'),
    auditOptions: {
      stores: stores as AuditStoreName[],
      events: positive('audit-events', values['audit-events']),
    },
    directories: directories as DirectoryName[],
    writebackOptions: {
      directories: directories as DirectoryName[],
      targets: {
        samba: {
          users: positive('samba-users', values['samba-users']),
          concurrency: positive('samba-concurrency', values['samba-concurrency']),
          seconds: positive('samba-seconds', values['samba-seconds']),
        },
        openldap: {
          users: positive('openldap-users', values['openldap-users']),
          concurrency: positive('openldap-concurrency', values['openldap-concurrency']),
          seconds: positive('openldap-seconds', values['openldap-seconds']),
        },
      },
      warmup: positive('wb-warmup', values['wb-warmup']),
      timingFloorMs: floor === 'default' ? null : Number(floor),
    },
    syncOptions: {
      directories: directories as DirectoryName[],
      sizes: {
        samba: sizes('samba-sync', values['samba-sync']),
        openldap: sizes('openldap-sync', values['openldap-sync']),
      },
      changes: positive('sync-changes', values['sync-changes']),
      groupSize: positive('sync-group-size', values['sync-group-size']),
    },
    flows: {
      stores: stores as StoreName[],
      concurrency: positive('concurrency', values.concurrency),
      maxFlows: positive('flows', values.flows),
      maxSeconds: positive('seconds', values.seconds),
      warmupFlows: positive('warmup', values.warmup),
      users: positive('users', values.users),
    },
    measureMs: positive('measure-ms', values['measure-ms']),
  };
}

async function main(): Promise<number> {
  const o = options();
  if (o.http && o.flows.users < usersNeeded(o.flows)) {
    throw new Error(`--users must be at least ${usersNeeded(o.flows)} for these options`);
  }
  const out = (text = ''): void => {
    process.stdout.write(`${text}\n`);
  };
  const began = performance.now();
  out(`OpenSSPR benchmarks, ${new Date().toISOString()}`);
  out(`Machine: ${machineLine()}`);

  if (o.banned) {
    // First, while no server runs: one core, undisturbed.
    const result = runBannedBench({ measureMs: o.measureMs, warmupMs: o.measureMs / 4 });
    out();
    out('Banned-password checks, single core');
    out(
      `   lists: global ${int(result.globalTerms)} terms (loadCommonPasswords, read in ` +
        `${int(result.loadMs)} ms) + custom ${int(result.customTerms)} terms; index built in ${int(result.indexMs)} ms`,
    );
    out(
      `   evaluatePassword = cloudPasswordPolicy, every rule; checker.check = the banned check alone;`,
    );
    out(
      `   naive Set.has = exact lookup of the whole normalised password; banned = share rejected`,
    );
    for (const { kind, description } of result.kinds) out(`   ${kind}: ${description}`);
    out();
    out(renderBannedTable(result));
  }

  let failed = 0;
  if (o.http) {
    const f = o.flows;
    const hash = await measureArgon2();
    const result = await runFlowBench(f);
    const argon = `m=${OWASP_ARGON2ID.memoryCost} KiB, t=${OWASP_ARGON2ID.timeCost}, p=${OWASP_ARGON2ID.parallelism}`;
    out();
    out('Complete reset flows over HTTP: start → TOTP gate → new password');
    out(
      `   createServerRuntime (Argon2id ${argon}), CAPTCHA off, rate limit off, one user per flow;` +
        ` floor = the anonymous timing floor`,
    );
    out(
      `   concurrency ${f.concurrency}, up to ${f.maxFlows} flows or ${f.maxSeconds} s after ` +
        `${f.warmupFlows} warm-up flows; latencies in ms, measured by the client`,
    );
    out(
      `   Argon2id alone here: ${ms(hash.msPerHash)} ms per hash; ${fixed(hash.hashesPerSecond, 1)} hashes/s ` +
        `with ${hash.parallel} at once (one hash per flow: the flows/s ceiling)`,
    );
    out('   CPU ms/flow = CPU time of the server process (all threads) / flows, measured phase');
    out();
    out(renderFlowTable(result));
    failed = result.failures.length;
    if (failed > 0) {
      out();
      out(`FAILED FLOWS: ${failed}`);
      out(renderFailures(result.failures));
    }
  }
  if (o.writeback) {
    const loadBefore = loadavg()[0] ?? Number.NaN;
    const result = await runWritebackBench(o.writebackOptions);
    const loadAfter = loadavg()[0] ?? Number.NaN;
    const targets = o.writebackOptions.targets;
    out();
    out(
      'Password writeback through the whole stack vs raw ldapts password writes (the physical limit)',
    );
    out(
      '   ours = complete flows over HTTP (start → TOTP gate → new password): server process ' +
        '(createServerRuntime, SQLite) → one `sspr agent` process over its WebSocket → directory',
    );
    out(
      '   raw  = the password write alone on pre-bound LDAPS connections (one per worker) as the ' +
        "agent's service account: Samba replace unicodePwd, OpenLDAP Password Modify exop",
    );
    for (const r of result.rows) {
      const t = targets[r.directory];
      const warm = Math.min(o.writebackOptions.warmup, Math.floor(t.users / 4));
      const raw = rawLimits(t, t.users - warm);
      out(
        `   ${r.directory}: ${r.label}; ${int(r.setup.created)} bench users created over LDAP in ` +
          `${fixed(r.setup.createMs / 1000, 1)} s, full sync ${int(r.setup.syncMs)} ms; concurrency ` +
          `${t.concurrency}; after ${warm} warm-up each: ours up to ${int(t.users - warm)} flows ` +
          `(one per user) or ${t.seconds} s, raw up to ${int(raw.writes)} writes (cycling through the ` +
          `same users) or ${raw.seconds} s; timing floor ${r.timingFloorMs} ms`,
      );
    }
    out('   latencies in ms, measured by the client; ours/raw = flows/s ÷ raw writes/s');
    out(
      `   1-minute load average before / after: ${fixed(loadBefore, 2)} / ${fixed(loadAfter, 2)} ` +
        '(anything else running on this machine counts)',
    );
    out();
    out(renderWritebackTable(result));
    out();
    out(
      '   CPU per operation in the measured phases (server and agent: their process; directory: all',
    );
    out('   processes of the daemon), and the latency of the two steps before the write');
    out();
    out(renderWritebackCpuTable(result));
    if (result.failures.length > 0) {
      failed += result.failures.length;
      out();
      out(`FAILED WRITEBACK OPERATIONS: ${result.failures.length}`);
      out(renderWritebackFailures(result.failures));
    }
  }

  if (o.sync) {
    const loadBefore = loadavg()[0] ?? Number.NaN;
    const rows = await runSyncBench(o.syncOptions);
    const loadAfter = loadavg()[0] ?? Number.NaN;
    const s = o.syncOptions;
    out();
    out(
      'Directory sync: directory → `sspr agent` process → WebSocket → server process (SQLite store)',
    );
    out(
      `   a fresh directory per row, seeded offline; one group per ${s.groupSize} users; ` +
        'objects/s = users + groups stored / wall time of agentLink.sync on the server',
    );
    for (const note of seedNotes(rows)) out(`   ${note}`);
    for (const name of s.directories) {
      const missing = [10_000, 100_000].filter((n) => !s.sizes[name].includes(n));
      if (missing.length > 0) {
        out(
          `   ${name}: not run at ${missing.map(int).join(', ')} users (--${name}-sync); see docs/performance.md`,
        );
      }
    }
    out(
      '   peak RSS sampled every 25 ms during the run (in brackets: after start, before the first sync); ' +
        'both processes run TypeScript through tsx',
    );
    out(
      `   1-minute load average before / after: ${fixed(loadBefore, 2)} / ${fixed(loadAfter, 2)} ` +
        '(anything else running on this machine counts)',
    );
    out();
    out('Initial (full) sync');
    out();
    out(renderSyncTable(rows));
    out();
    out(
      `Delta sync after ${s.changes} users got a new telephoneNumber over LDAP ` +
        '(objects sent: what the agent sent up; updated: users the store changed)',
    );
    out();
    out(renderDeltaTable(rows));
  }

  if (o.audit) {
    const rows = await runAuditBench(o.auditOptions);
    out();
    out('Audit export (GET /admin/audit/export, streamed) vs reading the same rows from the store');
    out(
      `   ${int(o.auditOptions.events)} events over 90 days, seeded into a fresh store; store read = ` +
        'store.audit.query, 1,000 a page, no formatting; CSV / JSON = the whole export over HTTP ' +
        '(client in the same process); RSS growth = peak during the download; usage report = ' +
        'GET /admin/reports/usage over the 90 days',
    );
    for (const r of rows) out(`   ${r.store}: seeded in ${fixed(r.seedMs / 1000, 1)} s`);
    out();
    out(renderAuditTable(rows));
  }

  out();
  out(`Total run time ${((performance.now() - began) / 1000).toFixed(0)} s`);
  return failed > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
