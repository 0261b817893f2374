#!/usr/bin/env node
// A real OpenLDAP slapd with the ppolicy overlay on loopback for the tests and the demo
// (suffix dc=example,dc=org), seeded with people, nested groups, two password policies and two
// SSPR service accounts (sspr-svc: manage on userPassword; sspr-writer: write only).
//
//   node scripts/openldap.mjs start|stop|status|restore|install  [--dir <instance dir>]
//   import { startOpenLdap } from './openldap.mjs'  →  handle { …facts, stop(), restore() }
//
// `start` prints the connection facts as JSON on stdout (progress goes to stderr) and leaves slapd
// running until `stop`. Each start builds a private cn=config + database with slapadd (~0.3 s)
// on free ports of 127.0.0.1; restore() puts the seeded copy back (~0.1 s). Installs the Debian
// packages as root when they are missing; slapd itself needs no root. Plain Node, no dependencies.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import process from 'node:process';
import {
  assertDisposable,
  copyTree,
  createLog,
  defaultBaseDir,
  ensurePackages,
  factsOf,
  freePort,
  isAlive,
  isMain,
  ldapBind,
  makeTlsFiles,
  readJson,
  run,
  sshaHash,
  startDaemon,
  stopDaemon,
  tail,
  waitUntil,
  writeJson,
} from './directories.mjs';

export const OPENLDAP_PACKAGES = ['slapd', 'ldap-utils', 'openssl'];

const HOST = '127.0.0.1';
const BASE_DN = 'dc=example,dc=org';
const PEOPLE_DN = `ou=people,${BASE_DN}`;
const OU = {
  people: PEOPLE_DN,
  staff: `ou=staff,${PEOPLE_DN}`,
  contractors: `ou=contractors,${PEOPLE_DN}`,
  groups: `ou=groups,${BASE_DN}`,
  policies: `ou=policies,${BASE_DN}`,
  system: `ou=system,${BASE_DN}`,
};
const ADMIN = { dn: `cn=admin,${BASE_DN}`, password: 'Adm1n!Passw0rd#2024' };
const SERVICE = { dn: `cn=sspr-svc,${OU.system}`, password: 'Svc!SsprAgent-2024' };
const WRITER = { dn: `cn=sspr-writer,${OU.system}`, password: 'Writer!Sspr-2024' };
/** `pwdAccountLockedTime` value meaning "locked until an administrator unlocks" (≈ disabled). */
const LOCKED_FOREVER = '000001010000Z';

const POLICIES = {
  default: {
    dn: `cn=default,${OU.policies}`,
    pwdMinLength: 8,
    pwdInHistory: 3,
    pwdMaxFailure: 3,
    pwdLockout: true,
    pwdLockoutDuration: 0,
    pwdMustChange: true,
    pwdMinAge: 0,
    pwdMaxAge: 7776000,
    pwdCheckQuality: 2,
    pwdAllowUserChange: true,
    pwdSafeModify: false,
  },
  strict: {
    dn: `cn=strict,${OU.policies}`,
    pwdMinLength: 14,
    pwdInHistory: 3,
    pwdMaxFailure: 3,
    pwdLockout: true,
    pwdLockoutDuration: 0,
    pwdMustChange: true,
    pwdMinAge: 0,
    pwdMaxAge: 7776000,
    pwdCheckQuality: 2,
    pwdAllowUserChange: true,
    pwdSafeModify: false,
  },
};

const PEOPLE = [
  {
    key: 'alice', givenName: 'Alice', sn: 'Adams', ou: OU.staff, password: 'Alice!Passw0rd-2024',
    note: 'ou=staff; direct member of sspr-enabled-users',
  },
  {
    key: 'bob', givenName: 'Bob', sn: 'Brown', ou: OU.staff, password: 'Bob!Passw0rd-2024x',
    note: 'ou=staff; in no group',
  },
  {
    key: 'carol', givenName: 'Carol', sn: 'Clark', ou: OU.staff, password: 'Carol!Passw0rd-2024',
    policy: 'strict',
    note: 'member of finance-team (nested in sspr-enabled-users); pwdPolicySubentry cn=strict',
  },
  {
    key: 'dave', givenName: 'Dave', sn: 'Davis', ou: OU.staff, password: 'Dave!Passw0rd-2024',
    disabled: true,
    note: `pwdAccountLockedTime ${LOCKED_FOREVER} (locked until unlocked: "disabled"); member of sspr-enabled-users`,
  },
  {
    key: 'erin', givenName: 'Erin', sn: 'Evans', ou: OU.staff, password: 'Erin!Passw0rd-2024',
    admin: true, note: 'member of ldap-admins (privileged) and sspr-enabled-users',
  },
  {
    key: 'frank', givenName: 'Frank', sn: 'Fisher', ou: OU.contractors,
    password: 'Frank!Passw0rd-2024',
    note: 'ou=contractors (out of SSPR scope); member of sspr-enabled-users',
  },
]; // prettier-ignore

const USERS = Object.fromEntries(
  PEOPLE.map((p, i) => {
    const n = String(i + 1).padStart(2, '0');
    return [
      p.key,
      {
        dn: `uid=${p.key},${p.ou}`,
        uid: p.key,
        password: p.password,
        cn: `${p.givenName} ${p.sn}`,
        givenName: p.givenName,
        sn: p.sn,
        displayName: `${p.givenName} ${p.sn}`,
        mail: `${p.key}@example.org`,
        mobile: `+1 42555501${n}`,
        telephoneNumber: `+1 42555502${n}`,
        disabled: p.disabled === true,
        admin: p.admin === true,
        pwdPolicySubentry: POLICIES[p.policy ?? 'default'].dn,
        note: p.note,
      },
    ];
  }),
);

const GROUPS = {
  financeTeam: { cn: 'finance-team', dn: `cn=finance-team,${OU.groups}`, members: ['carol'] },
  ssprEnabledUsers: {
    cn: 'sspr-enabled-users',
    dn: `cn=sspr-enabled-users,${OU.groups}`,
    members: ['alice', 'dave', 'erin', 'frank', 'group:financeTeam'],
  },
  ldapAdmins: { cn: 'ldap-admins', dn: `cn=ldap-admins,${OU.groups}`, members: ['erin'] },
};
const memberDn = (m) => (m.startsWith('group:') ? GROUPS[m.slice(6)].dn : USERS[m].dn);

// ---------------------------------------------------------------------------------------------
// LDIF
// ---------------------------------------------------------------------------------------------

function configLdif({ dir, tlsFiles }) {
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const svc = `dn.exact="${SERVICE.dn}"`;
  const writer = `dn.exact="${WRITER.dn}"`;
  const access = [
    // Passwords of people: sspr-svc is a ppolicy "password administrator" (manage: resets skip
    // quality/history checks and set pwdReset); sspr-writer's resets are checked like changes.
    `to dn.subtree="${OU.people}" attrs=userPassword by ${svc} =mwx by ${writer} =wx by self write by anonymous auth by * none`,
    'to attrs=userPassword by self write by anonymous auth by * none',
    `to attrs=pwdAccountLockedTime,pwdReset,pwdPolicySubentry by ${svc} write by ${writer} write by self read by * none`,
    'to attrs=pwdHistory by * none',
    `to dn.subtree="${OU.people}" by ${svc} read by ${writer} read by self read by * none`,
    `to dn.subtree="${OU.groups}" by ${svc} read by ${writer} read by users read by * none`,
    `to dn.subtree="${OU.policies}" by ${svc} read by ${writer} read by users read by * none`,
    `to dn.subtree="${OU.system}" by self read by ${svc} read by ${writer} read by * none`,
    `to * by ${svc} read by ${writer} read by users read by * none`,
  ];
  return [
    'dn: cn=config',
    'objectClass: olcGlobal',
    'cn: config',
    `olcPidFile: ${dir}/run/slapd.pid`,
    `olcArgsFile: ${dir}/run/slapd.args`,
    `olcTLSCACertificateFile: ${tlsFiles.caFile}`,
    `olcTLSCertificateFile: ${tlsFiles.certFile}`,
    `olcTLSCertificateKeyFile: ${tlsFiles.keyFile}`,
    'olcLogLevel: none',
    '',
    'dn: cn=module{0},cn=config',
    'objectClass: olcModuleList',
    'cn: module{0}',
    'olcModulePath: /usr/lib/ldap',
    'olcModuleLoad: {0}back_mdb',
    'olcModuleLoad: {1}ppolicy',
    '',
    'dn: cn=schema,cn=config',
    'objectClass: olcSchemaConfig',
    'cn: schema',
    '',
    // ppolicy's schema is built into the 2.5 overlay: there is no ppolicy.ldif to include.
    ...['core', 'cosine', 'nis', 'inetorgperson'].flatMap((s) => [`include: file:///etc/ldap/schema/${s}.ldif`, '']), // prettier-ignore
    'dn: olcDatabase={-1}frontend,cn=config',
    'objectClass: olcDatabaseConfig',
    'objectClass: olcFrontendConfig',
    'olcDatabase: {-1}frontend',
    'olcPasswordHash: {SSHA}',
    'olcAccess: {0}to dn.base="" by * read',
    'olcAccess: {1}to dn.base="cn=Subschema" by * read',
    '',
    'dn: olcDatabase={0}config,cn=config',
    'objectClass: olcDatabaseConfig',
    'olcDatabase: {0}config',
    `olcAccess: {0}to * by dn.exact=gidNumber=${gid}+uidNumber=${uid},cn=peercred,cn=external,cn=auth manage by * none`,
    '',
    'dn: olcDatabase={1}mdb,cn=config',
    'objectClass: olcDatabaseConfig',
    'objectClass: olcMdbConfig',
    'olcDatabase: {1}mdb',
    `olcSuffix: ${BASE_DN}`,
    `olcDbDirectory: ${dir}/data`,
    `olcRootDN: ${ADMIN.dn}`,
    `olcRootPW: ${sshaHash(ADMIN.password)}`,
    'olcDbMaxSize: 268435456',
    'olcDbNoSync: TRUE',
    'olcDbIndex: objectClass eq',
    'olcDbIndex: uid,mail,cn eq',
    'olcDbIndex: member eq',
    'olcDbIndex: entryCSN,entryUUID eq',
    'olcDbIndex: modifyTimestamp eq',
    // As docs/agent.md asks of a production slapd: the agent pages through every user in scope.
    `olcLimits: dn.exact="${SERVICE.dn}" size.prtotal=unlimited size.soft=unlimited size.hard=unlimited`,
    ...access.map((rule, i) => `olcAccess: {${i}}${rule}`),
    '',
    'dn: olcOverlay={0}ppolicy,olcDatabase={1}mdb,cn=config',
    'objectClass: olcOverlayConfig',
    'objectClass: olcPPolicyConfig',
    'olcOverlay: {0}ppolicy',
    `olcPPolicyDefault: ${POLICIES.default.dn}`,
    'olcPPolicyHashCleartext: TRUE',
    'olcPPolicyUseLockout: TRUE',
    '',
  ].join('\n');
}

const bool = (v) => (v ? 'TRUE' : 'FALSE');

function dataLdif() {
  const entry = (dn, lines) => [`dn: ${dn}`, ...lines, ''].join('\n');
  const ou = (dn) => entry(dn, ['objectClass: organizationalUnit', `ou: ${/^ou=([^,]+)/.exec(dn)[1]}`]); // prettier-ignore
  const policy = (p) =>
    entry(p.dn, [
      'objectClass: device',
      'objectClass: pwdPolicy',
      `cn: ${/^cn=([^,]+)/.exec(p.dn)[1]}`,
      'pwdAttribute: userPassword',
      `pwdCheckQuality: ${p.pwdCheckQuality}`,
      `pwdMinLength: ${p.pwdMinLength}`,
      `pwdInHistory: ${p.pwdInHistory}`,
      `pwdMaxFailure: ${p.pwdMaxFailure}`,
      `pwdLockout: ${bool(p.pwdLockout)}`,
      `pwdLockoutDuration: ${p.pwdLockoutDuration}`,
      `pwdMustChange: ${bool(p.pwdMustChange)}`,
      `pwdMinAge: ${p.pwdMinAge}`,
      `pwdMaxAge: ${p.pwdMaxAge}`,
      `pwdAllowUserChange: ${bool(p.pwdAllowUserChange)}`,
      `pwdSafeModify: ${bool(p.pwdSafeModify)}`,
    ]);
  const account = ({ dn, password }, description) =>
    entry(dn, [
      'objectClass: organizationalRole',
      'objectClass: simpleSecurityObject',
      `cn: ${/^cn=([^,]+)/.exec(dn)[1]}`,
      `description: ${description}`,
      `userPassword: ${sshaHash(password)}`,
    ]);
  const person = (u) =>
    entry(u.dn, [
      'objectClass: inetOrgPerson',
      `uid: ${u.uid}`,
      `cn: ${u.cn}`,
      `sn: ${u.sn}`,
      `givenName: ${u.givenName}`,
      `displayName: ${u.displayName}`,
      `mail: ${u.mail}`,
      `mobile: ${u.mobile}`,
      `telephoneNumber: ${u.telephoneNumber}`,
      `userPassword: ${sshaHash(u.password)}`,
      ...(u.pwdPolicySubentry === POLICIES.default.dn ? [] : [`pwdPolicySubentry: ${u.pwdPolicySubentry}`]), // prettier-ignore
      ...(u.disabled ? [`pwdAccountLockedTime: ${LOCKED_FOREVER}`] : []),
    ]);
  const group = (g) =>
    entry(g.dn, ['objectClass: groupOfNames', `cn: ${g.cn}`, ...g.members.map((m) => `member: ${memberDn(m)}`)]); // prettier-ignore
  return [
    entry(BASE_DN, ['objectClass: dcObject', 'objectClass: organization', 'dc: example', 'o: Example Org']), // prettier-ignore
    ...[OU.people, OU.staff, OU.contractors, OU.groups, OU.policies, OU.system].map(ou),
    policy(POLICIES.default),
    policy(POLICIES.strict),
    account(SERVICE, 'OpenSSPR agent: manage on userPassword (password administrator)'),
    account(WRITER, 'OpenSSPR agent, write-only on userPassword'),
    ...Object.values(USERS).map(person),
    group(GROUPS.financeTeam),
    group(GROUPS.ssprEnabledUsers),
    group(GROUPS.ldapAdmins),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Instances
// ---------------------------------------------------------------------------------------------

function factsFor({ dir, ports, ldapiUrl, caFile }) {
  return {
    kind: 'openldap',
    host: HOST,
    ldapUrl: `ldap://${HOST}:${ports.ldap}`,
    ldapsUrl: `ldaps://${HOST}:${ports.ldaps}`,
    ldapiUrl,
    baseDn: BASE_DN,
    adminDn: ADMIN.dn,
    adminPassword: ADMIN.password,
    serviceDn: SERVICE.dn,
    servicePassword: SERVICE.password,
    writerDn: WRITER.dn,
    writerPassword: WRITER.password,
    caFile,
    ous: { ...OU },
    users: Object.fromEntries(Object.entries(USERS).map(([k, u]) => [k, { ...u }])),
    groups: Object.fromEntries(
      Object.entries(GROUPS).map(([k, g]) => [k, { cn: g.cn, dn: g.dn, members: g.members.map(memberDn) }]), // prettier-ignore
    ),
    policies: Object.fromEntries(Object.entries(POLICIES).map(([k, p]) => [k, { ...p }])),
    lockedForever: LOCKED_FOREVER,
    instanceDir: dir,
    logFile: join(dir, 'slapd.out'),
  };
}

/** A CA + server certificate for 127.0.0.1 in `<baseDir>/openldap.tls`, made once. */
async function ensureTls(baseDir, log) {
  const tlsDir = join(baseDir, 'openldap.tls');
  const files = {
    caFile: join(tlsDir, 'ca.pem'),
    certFile: join(tlsDir, 'cert.pem'),
    keyFile: join(tlsDir, 'key.pem'),
  };
  if (existsSync(files.keyFile)) return files;
  const build = `${tlsDir}.build-${process.pid}`;
  await log.timed('TLS: private CA + server certificate for 127.0.0.1', () =>
    makeTlsFiles({ dir: build, commonName: HOST, ips: [HOST], dnsNames: ['localhost'] }),
  );
  // Another process may have been faster: keep whichever directory landed first.
  await rename(build, tlsDir).catch(() => rm(build, { recursive: true, force: true }));
  return files;
}

function ldapiPath(dir) {
  const path = join(dir, 'run', 'ldapi');
  return path.length <= 100 ? path : join('/tmp', `sspr-ldapi-${process.pid}-${Date.now()}`);
}

async function launch({ dir, ports, ldapiUrl, caFile }) {
  const facts = factsFor({ dir, ports, ldapiUrl, caFile });
  const urls = [`ldap://${HOST}:${ports.ldap}/`, `ldaps://${HOST}:${ports.ldaps}/`, ldapiUrl];
  const pid = startDaemon('slapd', ['-d', '0', '-F', join(dir, 'slapd.d'), '-h', urls.join(' ')], {
    logFile: facts.logFile,
  });
  await writeJson(join(dir, 'sspr-state.json'), {
    pid,
    ports,
    ldapiUrl,
    instanceDir: dir,
    startedAt: new Date().toISOString(),
    facts,
  });
  try {
    await waitUntil(
      `slapd on ${facts.ldapsUrl}`,
      async () => {
        if (!isAlive(pid, 'slapd')) {
          throw Object.assign(new Error(`slapd exited during start. ${facts.logFile}:\n${tail(facts.logFile)}`), { fatal: true }); // prettier-ignore
        }
        const bind = await ldapBind({
          url: facts.ldapsUrl,
          dn: SERVICE.dn,
          password: SERVICE.password,
          caFile: facts.caFile,
        });
        if (bind.code !== 0) throw new Error(`sspr-svc bind: code ${bind.code} ${bind.message}`);
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 25 },
    );
  } catch (error) {
    await stopDaemon(pid, 'slapd');
    throw error;
  }
  return { facts, pid };
}

async function stopInstance(dir) {
  const state = await readJson(join(dir, 'sspr-state.json'));
  if (!state) return false;
  return stopDaemon(state.pid, 'slapd');
}

async function restoreInstance(dir, log) {
  const t = performance.now();
  const state = await readJson(join(dir, 'sspr-state.json'));
  if (!state) throw new Error(`no slapd state in ${dir}: use start`);
  await stopInstance(dir);
  await copyTree(join(dir, 'data.seed'), join(dir, 'data'));
  await copyTree(join(dir, 'slapd.d.seed'), join(dir, 'slapd.d'));
  const { ports, ldapiUrl, facts } = state;
  await launch({ dir, ports, ldapiUrl, caFile: facts.caFile });
  log(`restored the seeded state (${((performance.now() - t) / 1000).toFixed(2)} s)`);
}

function makeHandle(facts, log) {
  const dir = facts.instanceDir;
  return {
    ...facts,
    /** Stops slapd (whatever pid currently runs in the instance directory). */
    stop: () => stopInstance(dir).then(() => undefined),
    /** Stop, put the seeded database and cn=config back, start on the same ports. */
    restore: () => restoreInstance(dir, log),
  };
}

/**
 * Builds and starts a seeded slapd → handle `{ …facts, stop(), restore() }` (instance in
 * `<baseDir>/openldap` unless `instanceDir` is given).
 */
export async function startOpenLdap({
  baseDir = defaultBaseDir,
  instanceDir,
  log = createLog('openldap'),
} = {}) {
  const dir = resolve(instanceDir ?? join(resolve(baseDir), 'openldap'));
  if (!log.timed) log = createLog('openldap', log);
  const t0 = performance.now();
  if (await ensurePackages({ packages: OPENLDAP_PACKAGES, what: 'OpenLDAP slapd', log })) {
    log('slapd installed');
  }
  if (await stopInstance(dir)) log(`stopped the slapd left running in ${dir}`);
  // Start afresh. The TLS files are shared by all instances of the base directory (saves ~0.5 s).
  assertDisposable(dir, ['sspr-state.json', 'slapd.d', 'data.ldif']);
  await rm(dir, { recursive: true, force: true });
  await Promise.all(['slapd.d', 'data', 'run'].map((d) => mkdir(join(dir, d), { recursive: true }))); // prettier-ignore
  const tlsFiles = await ensureTls(resolve(baseDir), log);
  await log.timed('built cn=config and the seeded database (slapadd)', async () => {
    await writeFile(join(dir, 'config.ldif'), configLdif({ dir, tlsFiles }));
    await writeFile(join(dir, 'data.ldif'), dataLdif());
    await run('slapadd', ['-n', '0', '-F', join(dir, 'slapd.d'), '-l', join(dir, 'config.ldif')]);
    await run('slapadd', ['-q', '-n', '1', '-F', join(dir, 'slapd.d'), '-l', join(dir, 'data.ldif')]); // prettier-ignore
    await copyTree(join(dir, 'data'), join(dir, 'data.seed'));
    await copyTree(join(dir, 'slapd.d'), join(dir, 'slapd.d.seed'));
  });
  const ldapiUrl = `ldapi://${encodeURIComponent(ldapiPath(dir))}`;
  let started;
  for (let attempt = 1; ; attempt++) {
    const ports = { ldap: await freePort(HOST), ldaps: await freePort(HOST) };
    try {
      started = await launch({ dir, ports, ldapiUrl, caFile: tlsFiles.caFile });
      break;
    } catch (error) {
      // Another process may have taken a port between our check and slapd's bind.
      if (attempt >= 3) throw error;
      log(`start failed (${String(error.message).split('\n')[0]}); retrying on other ports`);
    }
  }
  const { facts } = started;
  log(`ready: ${facts.ldapUrl} ${facts.ldapsUrl} (${((performance.now() - t0) / 1000).toFixed(2)} s in all)`); // prettier-ignore
  return makeHandle(facts, log);
}

/** Stops the slapd running from `instanceDir` (if any). */
export async function stopOpenLdap({ instanceDir }) {
  return stopInstance(resolve(instanceDir));
}

/** The handle of a slapd already running from `instanceDir`, or null. */
export async function attachOpenLdap({ instanceDir, log = createLog('openldap') }) {
  const state = await readJson(join(resolve(instanceDir), 'sspr-state.json'));
  if (!state || !isAlive(state.pid, 'slapd')) return null;
  return makeHandle(state.facts, log);
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

function cliInstanceDir(args, baseDir) {
  const at = args.indexOf('--dir');
  if (at >= 0 && args[at + 1]) return resolve(args[at + 1]);
  try {
    const given = JSON.parse(process.env.SSPR_TEST_OPENLDAP ?? 'null');
    if (given?.instanceDir) return given.instanceDir;
  } catch {
    /* not JSON: ignore */
  }
  return join(resolve(baseDir), 'openldap');
}

if (isMain(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  const baseDir = process.env.SSPR_TEST_DIR ?? defaultBaseDir;
  const instanceDir = cliInstanceDir(args, baseDir);
  const log = createLog('openldap');
  try {
    if (command === 'start') {
      const handle = await startOpenLdap({ baseDir, instanceDir, log });
      process.stdout.write(`${JSON.stringify(factsOf(handle), null, 2)}\n`);
    } else if (command === 'stop') {
      log((await stopInstance(instanceDir)) ? `stopped (${instanceDir})` : 'not running');
    } else if (command === 'status') {
      const handle = await attachOpenLdap({ instanceDir, log });
      if (handle) process.stdout.write(`${JSON.stringify(factsOf(handle), null, 2)}\n`);
      else {
        log(`not running (${instanceDir})`);
        process.exitCode = 1;
      }
    } else if (command === 'restore') {
      await restoreInstance(instanceDir, log);
    } else if (command === 'install') {
      await ensurePackages({ packages: OPENLDAP_PACKAGES, what: 'OpenLDAP slapd', log });
      log('packages present');
    } else {
      log(
        'usage: node scripts/openldap.mjs start|stop|status|restore|install [--dir <instance dir>]\n' +
          '  env SSPR_TEST_DIR: base directory (default .test-run/), holding openldap/',
      );
      process.exitCode = 2;
    }
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
