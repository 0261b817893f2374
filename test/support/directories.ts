/**
 * The real directories of the integration tests: a Samba AD DC (scripts/samba-dc.mjs) and an
 * OpenLDAP slapd with ppolicy (scripts/openldap.mjs), seeded with known users and passwords.
 *
 * `npm test` (scripts/test.mjs) starts both once per run and exports their facts as JSON in
 * `SSPR_TEST_SAMBA` / `SSPR_TEST_OPENLDAP` (base directory in `SSPR_TEST_DIR`). Without them a
 * local run starts private servers in a beforeAll; under CI the suite fails instead (never skips).
 *
 * The shared servers are shared by every test file of the run, and files run in parallel:
 * prefer creating your own objects (unique names) over changing seeded ones. A file that must
 * change seeded state uses `useSamba({ isolated: true })` (its own DC, ~1.5 s) and `restore()`.
 */
import { execFile } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const runFile = promisify(execFile);

export interface DirectoryUser {
  dn: string;
  password: string;
  givenName: string;
  sn: string;
  displayName: string;
  mail: string;
  mobile: string;
  telephoneNumber: string;
  /** Samba: userAccountControl 514. OpenLDAP: pwdAccountLockedTime 000001010000Z. */
  disabled: boolean;
  /** What the user is seeded for (group membership, OU, policy). */
  note: string;
}

export type SeededUser = 'alice' | 'bob' | 'carol' | 'dave' | 'erin' | 'frank';

export interface SambaUser extends DirectoryUser {
  sAMAccountName: string;
  /** `<name>@example.test` */
  upn: string;
  /** 1 for erin (Domain Admins, protected descriptor). */
  adminCount: 0 | 1;
}

export interface OpenLdapUser extends DirectoryUser {
  uid: string;
  cn: string;
  /** erin: member of cn=ldap-admins. */
  admin: boolean;
  /** The ppolicy entry that governs the user (carol: cn=strict). */
  pwdPolicySubentry: string;
}

export interface SeededGroup {
  dn: string;
  /** Direct members (users or groups). */
  members: string[];
}

export interface SambaFacts {
  kind: 'samba';
  /** The loopback address the DC listens on (127.0.0.1, or .2 … when that one is taken). */
  host: string;
  /** Plain LDAP: simple binds need StartTLS (`ldap server require strong auth` is at its default). */
  ldapUrl: string;
  ldapsUrl: string;
  /** `host:88` */
  kdc: string;
  baseDn: string;
  realm: string;
  dnsDomain: string;
  netbiosDomain: string;
  adminDn: string;
  adminUpn: string;
  adminPassword: string;
  /** svc-sspr: Reset Password, Change Password, write lockoutTime and pwdLastSet on OU=Staff. */
  serviceDn: string;
  serviceUpn: string;
  serviceSamAccountName: string;
  servicePassword: string;
  serviceRights: { scope: string; rights: string[]; excluded: string };
  /** A krb5.conf for this DC (use with KRB5_CONFIG). */
  krb5Conf: string;
  /** PEM of the CA that issued the DC's LDAPS certificate (valid for `host`). */
  caFile: string;
  ous: { staff: string; finance: string; contractors: string; service: string };
  users: Record<SeededUser, SambaUser>;
  groups: { ssprEnabledUsers: SambaGroup; financeTeam: SambaGroup; domainAdmins: SambaGroup };
  pso: {
    name: string;
    dn: string;
    appliesTo: string;
    minPwdLength: number;
    historyLength: number;
    minPwdAgeDays: number;
    lockoutThreshold: number;
  };
  domainPolicy: {
    minPwdLength: number;
    minPwdAgeDays: number;
    maxPwdAgeDays: number;
    historyLength: number;
    complexity: boolean;
    lockoutThreshold: number;
    lockoutDurationMinutes: number;
  };
  instanceDir: string;
  logFile: string;
}

export interface SambaGroup extends SeededGroup {
  name: string;
}

export interface PasswordPolicy {
  dn: string;
  pwdMinLength: number;
  pwdInHistory: number;
  pwdMaxFailure: number;
  pwdLockout: boolean;
  pwdLockoutDuration: number;
  pwdMustChange: boolean;
  pwdMinAge: number;
  pwdMaxAge: number;
  pwdCheckQuality: number;
  pwdAllowUserChange: boolean;
  pwdSafeModify: boolean;
}

export interface OpenLdapFacts {
  kind: 'openldap';
  host: string;
  ldapUrl: string;
  ldapsUrl: string;
  /** ldapi:// socket: `-Y EXTERNAL` as the user that started slapd manages cn=config. */
  ldapiUrl: string;
  baseDn: string;
  /** The rootDN (no ACLs, no ppolicy checks). */
  adminDn: string;
  adminPassword: string;
  /** cn=sspr-svc: ppolicy password administrator (manage on userPassword, cannot read it). */
  serviceDn: string;
  servicePassword: string;
  /** cn=sspr-writer: write-only on userPassword (its resets are quality/history checked). */
  writerDn: string;
  writerPassword: string;
  caFile: string;
  ous: {
    people: string;
    staff: string;
    contractors: string;
    groups: string;
    policies: string;
    system: string;
  };
  users: Record<SeededUser, OpenLdapUser>;
  groups: {
    ssprEnabledUsers: OpenLdapGroup;
    financeTeam: OpenLdapGroup;
    ldapAdmins: OpenLdapGroup;
  };
  policies: { default: PasswordPolicy; strict: PasswordPolicy };
  /** The pwdAccountLockedTime value that locks until an administrator unlocks. */
  lockedForever: string;
  instanceDir: string;
  logFile: string;
}

export interface OpenLdapGroup extends SeededGroup {
  cn: string;
}

type Kind = 'samba' | 'openldap';
type FactsOf<K extends Kind> = K extends 'samba' ? SambaFacts : OpenLdapFacts;

interface Handle<F> {
  stop(): Promise<void>;
  restore(): Promise<void>;
  facts: F;
}

const servers = {
  samba: {
    variable: 'SSPR_TEST_SAMBA',
    script: 'samba-dc.mjs',
    start: 'startSamba',
    what: 'Samba AD DC',
  },
  openldap: {
    variable: 'SSPR_TEST_OPENLDAP',
    script: 'openldap.mjs',
    start: 'startOpenLdap',
    what: 'OpenLDAP slapd',
  },
} as const;

function parseFacts<K extends Kind>(kind: K): FactsOf<K> | null {
  const raw = process.env[servers[kind].variable];
  if (raw === undefined || raw === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new Error(`${servers[kind].variable} is not JSON (${String(error)})`);
  }
  const facts = value as Partial<FactsOf<K>> | null;
  if (facts?.kind !== kind || typeof facts.ldapsUrl !== 'string' || facts.users === undefined) {
    throw new Error(`${servers[kind].variable} does not hold the facts of a ${servers[kind].what}`);
  }
  return facts as FactsOf<K>;
}

/** The facts of the Samba DC started by `npm test` (SSPR_TEST_SAMBA), or null. */
export function sambaFacts(): SambaFacts | null {
  return parseFacts('samba');
}

/** The facts of the slapd started by `npm test` (SSPR_TEST_OPENLDAP), or null. */
export function openldapFacts(): OpenLdapFacts | null {
  return parseFacts('openldap');
}

let instances = 0;

type ScriptModule<K extends Kind> = Record<
  string,
  (options: {
    baseDir?: string;
    instanceDir: string;
  }) => Promise<FactsOf<K> & { stop(): Promise<void>; restore(): Promise<void> }>
>;

const loadScript = async <K extends Kind>(kind: K) =>
  (await import(pathToFileURL(join(repoRoot, 'scripts', servers[kind].script)).href)) as ScriptModule<K>; // prettier-ignore

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === 'EPERM';
  }
};

/** Stops and removes private instances whose test process died before its afterAll ran. */
async function sweepPrivate(privateDir: string): Promise<void> {
  const entries = await readdir(privateDir).catch(() => [] as string[]);
  for (const entry of entries) {
    const match = /^(samba|openldap)-(\d+)-\d+$/.exec(entry);
    if (!match || isRunning(Number(match[2]))) continue;
    const kind = match[1] === 'samba' ? 'samba' : 'openldap';
    const instanceDir = join(privateDir, entry);
    const stop = (await loadScript(kind))[kind === 'samba' ? 'stopSamba' : 'stopOpenLdap']!;
    await stop({ instanceDir }).catch(() => undefined);
    await rm(instanceDir, { recursive: true, force: true });
  }
}

async function startPrivate<K extends Kind>(kind: K): Promise<Handle<FactsOf<K>>> {
  const { start } = servers[kind];
  const module = await loadScript(kind);
  const baseDir = process.env.SSPR_TEST_DIR ?? join(repoRoot, '.test-run');
  await sweepPrivate(join(baseDir, 'private'));
  instances += 1;
  const instanceDir = join(baseDir, 'private', `${kind}-${process.pid}-${instances}`);
  const handle = await module[start]!({ baseDir, instanceDir });
  const facts = JSON.parse(JSON.stringify(handle)) as FactsOf<K>;
  const stop = async () => {
    await handle.stop();
    await rm(instanceDir, { recursive: true, force: true }); // a DC copy is ~50 MB
  };
  return { stop, restore: () => handle.restore(), facts };
}

/** Restores the shared server of the run (`node scripts/… restore`, reading its env facts). */
async function restoreShared(kind: Kind): Promise<void> {
  const script = join(repoRoot, 'scripts', servers[kind].script);
  try {
    await runFile(process.execPath, [script, 'restore'], { env: process.env, cwd: repoRoot });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(`${servers[kind].what} restore failed: ${stderr || String(error)}`, {
      cause: error,
    });
  }
}

/** A getter for the server's facts (valid inside tests and hooks), plus `restore()`. */
export interface DirectoryFixture<F> {
  (): F;
  /** Stops the server, puts the seeded state back, starts it again (same address and ports). */
  restore(): Promise<void>;
}

export interface UseOptions {
  /**
   * Start a private server for this describe block even when `npm test` runs a shared one,
   * e.g. to change seeded objects and restore() without disturbing other test files.
   */
  isolated?: boolean;
}

let latestLocal: { samba?: Handle<SambaFacts>; openldap?: Handle<OpenLdapFacts> } = {};

function useDirectory<K extends Kind>(kind: K, options: UseOptions): DirectoryFixture<FactsOf<K>> {
  const { variable, what, script } = servers[kind];
  const shared = options.isolated === true ? null : parseFacts(kind);
  if (shared) {
    return Object.assign(() => shared, { restore: () => restoreShared(kind) });
  }
  if (options.isolated !== true && process.env.CI !== undefined) {
    const message =
      `${variable} is not set. CI must run the ${what} tests: run them through \`npm test\` ` +
      `(scripts/test.mjs starts the server) or start one with \`node scripts/${script} start\` ` +
      `and export its JSON output as ${variable}.`;
    it(`has a ${what} to test against`, () => {
      throw new Error(message);
    });
    const fail = (): never => {
      throw new Error(message);
    };
    return Object.assign(fail, { restore: async () => fail() });
  }
  let handle: Handle<FactsOf<K>> | undefined;
  beforeAll(async () => {
    handle = await startPrivate(kind);
    latestLocal = { ...latestLocal, [kind]: handle };
  }, 180_000);
  afterAll(async () => {
    await handle?.stop();
    if (latestLocal[kind] === handle) latestLocal = { ...latestLocal, [kind]: undefined };
    handle = undefined;
  });
  const current = (): Handle<FactsOf<K>> => {
    if (!handle) throw new Error(`the ${what} is not started: use the getter inside tests/hooks`);
    return handle;
  };
  return Object.assign(() => current().facts, { restore: () => current().restore() });
}

/** The Samba AD DC for a describe block (shared `npm test` DC, or a private one). */
export function useSamba(options: UseOptions = {}): DirectoryFixture<SambaFacts> {
  return useDirectory('samba', options);
}

/** The OpenLDAP slapd for a describe block (shared `npm test` server, or a private one). */
export function useOpenLdap(options: UseOptions = {}): DirectoryFixture<OpenLdapFacts> {
  return useDirectory('openldap', options);
}

/**
 * Puts the seeded Samba state back: the DC this file started locally, else the shared one of
 * the run (`node scripts/samba-dc.mjs restore`). Other files using the shared DC see ~1 s of
 * downtime: call it between files (afterAll), never while others may be mid-test on purpose.
 */
export async function restoreSamba(): Promise<void> {
  const local = latestLocal.samba;
  await (local ? local.restore() : restoreShared('samba'));
}

/** Puts the seeded OpenLDAP data and cn=config back (see restoreSamba). */
export async function restoreOpenLdap(): Promise<void> {
  const local = latestLocal.openldap;
  await (local ? local.restore() : restoreShared('openldap'));
}
