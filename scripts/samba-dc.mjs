#!/usr/bin/env node
// A real Samba AD DC on loopback for the tests and the demo (realm EXAMPLE.TEST, domain EXAMPLE,
// host dc1), seeded with OUs, users, groups, a PSO and a delegated SSPR service account.
//
//   node scripts/samba-dc.mjs start|stop|status|restore|install  [--dir <instance dir>]
//   import { startSamba } from './samba-dc.mjs'  →  handle { …facts, stop(), restore() }
//
// `start` prints the connection facts as JSON on stdout (progress goes to stderr) and leaves the
// DC running until `stop`. The first start provisions and seeds a template (<baseDir>/samba.tpl,
// ~6 s); every start copies that template (0.1 s) into the instance directory, so each start and
// each restore() begins from the same seeded state. Needs root (Samba binds 88/389/636) and
// installs the Debian packages when they are missing. Plain Node, no dependencies.
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import {
  answers,
  assertDisposable,
  canListen,
  contentHash,
  copyTree,
  createLog,
  defaultBaseDir,
  ensurePackages,
  factsOf,
  isAlive,
  isMain,
  isRoot,
  ldapBind,
  loopbackAddresses,
  makeTlsFiles,
  readJson,
  run,
  startDaemon,
  stopDaemon,
  tail,
  waitUntil,
  withLock,
  writeJson,
} from './directories.mjs';

export const SAMBA_PACKAGES = [
  'samba',
  'samba-ad-provision',
  'samba-dsdb-modules',
  'samba-vfs-modules',
  'winbind',
  'krb5-user',
  'ldb-tools',
  'smbclient',
  'openssl',
  'iproute2',
];

const REALM = 'EXAMPLE.TEST';
const DNS_DOMAIN = 'example.test';
const DOMAIN = 'EXAMPLE';
const BASE_DN = 'DC=example,DC=test';
const ADMIN_PASSWORD = 'Adm1n!Passw0rd#2024';
const TEMPLATE_MAX_AGE_DAYS = 30; // seeded passwords expire after 42 days (domain maxPwdAge)
/** Addresses we may use: Samba's LDAP ports cannot be moved, so a second DC needs another IP. */
const CANDIDATE_IPS = Array.from({ length: 9 }, (_, i) => `127.0.0.${i + 1}`);
const DC_PORTS = [88, 135, 389, 445, 464, 636, 3268, 3269];
const CLAIMS_DIR = '/run/sspr-test-samba';
const here = fileURLToPath(import.meta.url);
const TEMPLATE_VERSION = contentHash([here, join(here, '..', 'directories.mjs')]);

const OU = {
  staff: `OU=Staff,${BASE_DN}`,
  finance: `OU=Finance,OU=Staff,${BASE_DN}`,
  contractors: `OU=Contractors,${BASE_DN}`,
  service: `OU=Service,${BASE_DN}`,
};

/** Seeded people. Every password satisfies the domain policy and the PSO (≥ 14, complex). */
const PEOPLE = [
  {
    key: 'alice', givenName: 'Alice', sn: 'Adams', ou: OU.staff, password: 'Alice!Passw0rd-2024',
    note: 'enabled; direct member of SSPR-Enabled-Users',
  },
  {
    key: 'bob', givenName: 'Bob', sn: 'Brown', ou: OU.staff, password: 'Bob!Passw0rd-2024x',
    note: 'enabled; in OU=Staff but in no SSPR group',
  },
  {
    key: 'carol', givenName: 'Carol', sn: 'Clark', ou: OU.finance, password: 'Carol!Passw0rd-2024',
    note: 'OU=Finance; member of Finance-Team (nested in SSPR-Enabled-Users); PSO sspr-strict',
  },
  {
    key: 'dave', givenName: 'Dave', sn: 'Davis', ou: OU.staff, password: 'Dave!Passw0rd-2024',
    disabled: true, note: 'disabled (userAccountControl 514); member of SSPR-Enabled-Users',
  },
  {
    key: 'erin', givenName: 'Erin', sn: 'Evans', ou: OU.staff, password: 'Erin!Passw0rd-2024',
    admin: true,
    note: 'adminCount=1, Domain Admins, SSPR-Enabled-Users; protected ACL (no inherited rights)',
  },
  {
    key: 'frank', givenName: 'Frank', sn: 'Fisher', ou: OU.contractors,
    password: 'Frank!Passw0rd-2024',
    note: 'OU=Contractors (out of SSPR scope); member of SSPR-Enabled-Users',
  },
]; // prettier-ignore

const SERVICE = {
  name: 'svc-sspr',
  dn: `CN=svc-sspr,${OU.service}`,
  upn: `svc-sspr@${DNS_DOMAIN}`,
  password: 'Svc!SsprAgent-2024',
};

const GROUPS = {
  financeTeam: {
    name: 'Finance-Team',
    dn: `CN=Finance-Team,${OU.finance}`,
    members: ['carol'],
  },
  ssprEnabledUsers: {
    name: 'SSPR-Enabled-Users',
    dn: `CN=SSPR-Enabled-Users,${OU.staff}`,
    members: ['alice', 'dave', 'erin', 'frank', 'group:financeTeam'],
  },
  domainAdmins: { name: 'Domain Admins', dn: `CN=Domain Admins,CN=Users,${BASE_DN}`, members: [] },
};

const PSO = {
  name: 'sspr-strict',
  dn: `CN=sspr-strict,CN=Password Settings Container,CN=System,${BASE_DN}`,
  appliesTo: GROUPS.financeTeam.dn,
  precedence: 1,
  minPwdLength: 14,
  historyLength: 3,
  minPwdAgeDays: 0,
  maxPwdAgeDays: 90,
  complexity: true,
  lockoutThreshold: 5,
};

const DOMAIN_POLICY = {
  minPwdLength: 7,
  minPwdAgeDays: 0,
  maxPwdAgeDays: 42,
  historyLength: 24,
  complexity: true,
  lockoutThreshold: 5,
  lockoutDurationMinutes: 30,
};

/** Rights delegated to svc-sspr on OU=Staff (inherited by user objects below it). */
const USER_CLASS = 'bf967aba-0de6-11d0-a285-00aa003049e2';
const DELEGATED_RIGHTS = [
  { right: 'Reset Password', ace: ['CR', '00299570-246d-11d0-a768-00aa006e0529'] },
  { right: 'Change Password', ace: ['CR', 'ab721a53-1e2f-11d0-9819-00aa0040529b'] },
  { right: 'Write lockoutTime', ace: ['WP', '28630ebf-41d5-11d1-a9c1-0000f80367c1'] },
  { right: 'Write pwdLastSet', ace: ['WP', 'bf967a0a-0de6-11d0-a285-00aa003049e2'] },
];

const person = (p) => {
  const n = PEOPLE.indexOf(p) + 1;
  const displayName = `${p.givenName} ${p.sn}`;
  return {
    dn: `CN=${displayName},${p.ou}`,
    sAMAccountName: p.key,
    upn: `${p.key}@${DNS_DOMAIN}`,
    password: p.password,
    givenName: p.givenName,
    sn: p.sn,
    displayName,
    mail: `${p.key}@${DNS_DOMAIN}`,
    mobile: `+1 42555501${String(n).padStart(2, '0')}`,
    telephoneNumber: `+1 42555502${String(n).padStart(2, '0')}`,
    disabled: p.disabled === true,
    adminCount: p.admin === true ? 1 : 0,
    note: p.note,
  };
};
const USERS = Object.fromEntries(PEOPLE.map((p) => [p.key, person(p)]));

// ---------------------------------------------------------------------------------------------
// Template: provision + seed once
// ---------------------------------------------------------------------------------------------

const utf16Password = (pw) => Buffer.from(`"${pw}"`, 'utf16le').toString('base64');
const days = (n) => `${-n * 864_000_000_000}`; // AD intervals: negative 100 ns units
const minutes = (n) => `${-n * 600_000_000}`;

function ldifUser({ dn, sam, upn, password, uac, attributes = {} }) {
  return [
    `dn: ${dn}`,
    'objectClass: user',
    `sAMAccountName: ${sam}`,
    `userPrincipalName: ${upn}`,
    ...Object.entries(attributes).map(([name, value]) => `${name}: ${value}`),
    `unicodePwd:: ${utf16Password(password)}`,
    `userAccountControl: ${uac}`,
    '',
  ].join('\n');
}

function seedLdifOne() {
  const p = DOMAIN_POLICY;
  return [
    `dn: ${BASE_DN}`,
    'changetype: modify',
    'replace: minPwdAge',
    `minPwdAge: ${days(p.minPwdAgeDays)}`,
    '-',
    'replace: maxPwdAge',
    `maxPwdAge: ${days(p.maxPwdAgeDays)}`,
    '-',
    'replace: minPwdLength',
    `minPwdLength: ${p.minPwdLength}`,
    '-',
    'replace: pwdHistoryLength',
    `pwdHistoryLength: ${p.historyLength}`,
    '-',
    'replace: pwdProperties',
    `pwdProperties: ${p.complexity ? 1 : 0}`,
    '-',
    'replace: lockoutThreshold',
    `lockoutThreshold: ${p.lockoutThreshold}`,
    '-',
    'replace: lockoutDuration',
    `lockoutDuration: ${minutes(p.lockoutDurationMinutes)}`,
    '-',
    'replace: lockOutObservationWindow',
    `lockOutObservationWindow: ${minutes(p.lockoutDurationMinutes)}`,
    '-',
    '',
    ...[OU.staff, OU.finance, OU.contractors, OU.service].flatMap((dn) => [
      `dn: ${dn}`,
      'objectClass: organizationalUnit',
      '',
    ]),
    ldifUser({
      dn: SERVICE.dn,
      sam: SERVICE.name,
      upn: SERVICE.upn,
      password: SERVICE.password,
      uac: 512 + 65536, // normal account + password never expires
      attributes: { description: 'OpenSSPR agent (delegated rights on OU=Staff)' },
    }),
  ].join('\n');
}

function seedLdifTwo() {
  const users = Object.values(USERS).map((u) =>
    ldifUser({
      dn: u.dn,
      sam: u.sAMAccountName,
      upn: u.upn,
      password: u.password,
      uac: u.disabled ? 514 : 512,
      attributes: {
        givenName: u.givenName,
        sn: u.sn,
        displayName: u.displayName,
        mail: u.mail,
        mobile: u.mobile,
        telephoneNumber: u.telephoneNumber,
        ...(u.adminCount ? { adminCount: 1 } : {}),
      },
    }),
  );
  const memberDn = (m) => (m.startsWith('group:') ? GROUPS[m.slice(6)].dn : USERS[m].dn);
  const groups = [GROUPS.financeTeam, GROUPS.ssprEnabledUsers].map((g) =>
    [
      `dn: ${g.dn}`,
      'objectClass: group',
      `sAMAccountName: ${g.name}`,
      ...g.members.map((m) => `member: ${memberDn(m)}`),
      '',
    ].join('\n'),
  );
  const pso = [
    `dn: ${PSO.dn}`,
    'objectClass: msDS-PasswordSettings',
    `msDS-PasswordSettingsPrecedence: ${PSO.precedence}`,
    'msDS-PasswordReversibleEncryptionEnabled: FALSE',
    `msDS-PasswordHistoryLength: ${PSO.historyLength}`,
    `msDS-PasswordComplexityEnabled: ${PSO.complexity ? 'TRUE' : 'FALSE'}`,
    `msDS-MinimumPasswordLength: ${PSO.minPwdLength}`,
    `msDS-MinimumPasswordAge: ${days(PSO.minPwdAgeDays)}`,
    `msDS-MaximumPasswordAge: ${days(PSO.maxPwdAgeDays)}`,
    `msDS-LockoutThreshold: ${PSO.lockoutThreshold}`,
    `msDS-LockoutObservationWindow: ${minutes(30)}`,
    `msDS-LockoutDuration: ${minutes(30)}`,
    `msDS-PSOAppliesTo: ${PSO.appliesTo}`,
    '',
  ].join('\n');
  return [...users, ...groups, pso].join('\n');
}

function seedLdifThree() {
  const admins = Object.values(USERS).filter((u) => u.adminCount);
  return admins
    .map(
      (u) =>
      [`dn: ${GROUPS.domainAdmins.dn}`, 'changetype: modify', 'add: member', `member: ${u.dn}`, '-', ''].join('\n'), // prettier-ignore
    )
    .join('\n');
}

const GLOBAL_SETTINGS = (dir) => [
  // Gotchas 1 and 2 of the reference: no DNS traffic off loopback, nothing in system dirs.
  'server services = -dns -dnsupdate -nbt -wrepl -ntp_signd',
  `log file = ${dir}/log/log.%m`,
  'max log size = 10000',
  `pid directory = ${dir}/run`,
  `ncalrpc dir = ${dir}/run/ncalrpc`,
  `ntp signd socket directory = ${dir}/ntp_signd`,
  // Gotcha 6: the previous password keeps working over LDAP for an hour by default.
  'old password allowed period = 0',
  // `ldap server require strong auth` stays at its default (yes): LDAPS/StartTLS, like Windows.
];

async function editSmbConf(file, edit) {
  await writeFile(file, edit(await readFile(file, 'utf8')));
}

async function samdb(dir, tool, args, input) {
  const conf = `--configfile=${dir}/etc/smb.conf`;
  return run(tool, [conf, '-H', `${dir}/private/sam.ldb`, ...args], { input });
}

async function buildTemplate({ templateDir, log }) {
  const build = `${templateDir}.build-${process.pid}`;
  await rm(build, { recursive: true, force: true });
  const emptyConf = `${build}.conf`;
  // Without an empty config, provision copies Debian's /etc/samba/smb.conf defaults ([homes],
  // [printers], /var/log/samba …) into the new smb.conf.
  await writeFile(emptyConf, '');
  try {
    // prettier-ignore
    const provision = [
      'domain', 'provision', '-s', emptyConf, `--targetdir=${build}`,
      `--realm=${REALM}`, `--domain=${DOMAIN}`, '--server-role=dc',
      '--dns-backend=SAMBA_INTERNAL', '--backend-store=tdb', `--adminpass=${ADMIN_PASSWORD}`,
      '--host-ip=127.0.0.1', '--host-name=dc1', '--option=netbios name = DC1',
      '--option=interfaces = 127.0.0.1/8', '--option=bind interfaces only = yes',
    ];
    await log.timed(`provisioned ${REALM} in ${build}`, () => run('samba-tool', provision));
    const settings = GLOBAL_SETTINGS(build)
      .map((line) => `\t${line}\n`)
      .join('');
    await editSmbConf(join(build, 'etc', 'smb.conf'), (text) =>
      text
        .replace(/^\s*dns forwarder\s*=.*\n/m, '')
        .replace(/^\[global\]\n/m, `[global]\n${settings}`),
    );
    await log.timed('TLS: private CA + server certificate for 127.0.0.1-9', () =>
      makeTlsFiles({
        dir: join(build, 'private', 'tls'),
        commonName: `dc1.${DNS_DOMAIN}`,
        ips: CANDIDATE_IPS,
        dnsNames: [`dc1.${DNS_DOMAIN}`, DNS_DOMAIN, 'localhost'],
      }),
    );
    await log.timed('seeded policy, OUs, rights, users, groups and PSO', async () => {
      await samdb(build, 'ldbmodify', [], seedLdifOne());
      const { stdout } = await samdb(build, 'ldbsearch', [
        '-b', SERVICE.dn, '-s', 'base', 'objectSid',
      ]); // prettier-ignore
      const sid = /^objectSid: (S-[0-9-]+)$/m.exec(stdout)?.[1];
      if (!sid) throw new Error(`no objectSid for ${SERVICE.dn}: ${stdout}`);
      const aces = DELEGATED_RIGHTS.map(({ ace: [kind, guid] }) => `(OA;CIIO;${kind};${guid};${USER_CLASS};${sid})`); // prettier-ignore
      await run('samba-tool', [
        'dsacl', 'set', '-s', `${build}/etc/smb.conf`, '-H', `${build}/private/sam.ldb`,
        `--objectdn=${OU.staff}`, `--sddl=${aces.join('')}`,
      ]); // prettier-ignore
      await samdb(build, 'ldbadd', [], seedLdifTwo());
      await samdb(build, 'ldbmodify', [], seedLdifThree());
      // The agent reads the PSO that applies to a user (its effective policy): Read on the
      // Password Settings Container, inherited by the PSOs (Windows needs the same delegation).
      await run('samba-tool', [
        'dsacl', 'set', '-s', `${build}/etc/smb.conf`, '-H', `${build}/private/sam.ldb`,
        `--objectdn=CN=Password Settings Container,CN=System,${BASE_DN}`, `--sddl=(A;CI;RPLCLORC;;;${sid})`,
      ]); // prettier-ignore
      // AdminSDHolder's job on Windows: protected accounts do not inherit delegated rights.
      await protectAdmins(build);
    });
    await writeJson(join(build, 'sspr-template.json'), {
      version: TEMPLATE_VERSION,
      provisionedIn: build,
      createdAt: new Date().toISOString(),
    });
    await rm(templateDir, { recursive: true, force: true });
    await rename(build, templateDir);
  } catch (error) {
    await rm(build, { recursive: true, force: true });
    throw error;
  } finally {
    await rm(emptyConf, { force: true });
  }
}

/** Copies AdminSDHolder's descriptor (protected, no inheritance) onto adminCount=1 users. */
async function protectAdmins(dir) {
  const holder = `CN=AdminSDHolder,CN=System,${BASE_DN}`;
  const { stdout } = await samdb(dir, 'ldbsearch', [
    '-b', holder, '-s', 'base', 'nTSecurityDescriptor',
  ]); // prettier-ignore
  const unfolded = stdout.replace(/\n /g, '');
  const sddl = /^nTSecurityDescriptor: (.+)$/m.exec(unfolded)?.[1];
  if (!sddl) throw new Error(`could not read the descriptor of ${holder}`);
  // "D:P…" = DACL protected: inherited ACEs (our delegation on OU=Staff) no longer apply.
  const protectedSddl = sddl.replace(/D:[A-Z]*\(/, 'D:PAI(');
  const admins = Object.values(USERS).filter((u) => u.adminCount);
  for (const u of admins) {
    const ldif = [`dn: ${u.dn}`, 'changetype: modify', 'replace: nTSecurityDescriptor', `nTSecurityDescriptor: ${protectedSddl}`, '-', ''].join('\n'); // prettier-ignore
    await samdb(dir, 'ldbmodify', [], ldif);
  }
}

async function ensureTemplate({ baseDir, log }) {
  const templateDir = join(baseDir, 'samba.tpl');
  const marker = await readJson(join(templateDir, 'sspr-template.json'));
  const fresh = (m) =>
    m?.version === TEMPLATE_VERSION &&
    Date.now() - Date.parse(m.createdAt) < TEMPLATE_MAX_AGE_DAYS * 86_400_000;
  if (fresh(marker)) return { templateDir, marker };
  return withLock(
    `${templateDir}.lock`,
    async () => {
      const again = await readJson(join(templateDir, 'sspr-template.json'));
      if (fresh(again)) return { templateDir, marker: again };
      log(marker ? 'template is outdated: provisioning again' : 'no template yet: provisioning');
      await buildTemplate({ templateDir, log });
      return { templateDir, marker: await readJson(join(templateDir, 'sspr-template.json')) };
    },
    { log },
  );
}

// ---------------------------------------------------------------------------------------------
// Loopback address claims (several DCs may run at once: one per 127.0.0.x)
// ---------------------------------------------------------------------------------------------

async function claimAddress(instanceDir, log) {
  await mkdir(CLAIMS_DIR, { recursive: true });
  for (const ip of CANDIDATE_IPS) {
    const file = join(CLAIMS_DIR, ip);
    const claim = await readJson(file);
    if (claim && claim.instanceDir !== instanceDir) {
      const state = await readJson(join(claim.instanceDir, 'sspr-state.json'));
      const running = state?.host === ip && isAlive(state.pid, 'samba');
      const starting = Date.now() - (await stat(file).catch(() => ({ mtimeMs: 0 }))).mtimeMs < 120_000 && isAlive(claim.claimedBy); // prettier-ignore
      if (running || starting) continue;
      await rm(file, { force: true });
    }
    if (!claim || claim.instanceDir !== instanceDir) {
      try {
        await writeFile(file, JSON.stringify({ instanceDir, claimedBy: process.pid }), { flag: 'wx' }); // prettier-ignore
      } catch {
        continue; // someone else was faster
      }
    }
    const free = await Promise.all(DC_PORTS.map((port) => canListen(ip, port)));
    if (free.every(Boolean)) return ip;
    const busy = DC_PORTS.filter((_, i) => !free[i]);
    log(`${ip}: port(s) ${busy.join(', ')} in use, trying the next loopback address`);
    await rm(file, { force: true });
  }
  throw new Error(
    `no free loopback address among ${CANDIDATE_IPS[0]}…${CANDIDATE_IPS.at(-1)} for the DC ports ` +
      `${DC_PORTS.join(', ')}; stop the other DCs (node scripts/samba-dc.mjs stop --dir …)`,
  );
}

async function releaseAddress(instanceDir, ip) {
  const file = join(CLAIMS_DIR, ip);
  const claim = await readJson(file);
  if (claim?.instanceDir === instanceDir) await rm(file, { force: true });
}

async function ensureOnLoopback(ip, log) {
  if ((await loopbackAddresses()).includes(ip)) return;
  log(`ip addr add ${ip}/8 dev lo`);
  await run('ip', ['addr', 'add', `${ip}/8`, 'dev', 'lo']);
}

// ---------------------------------------------------------------------------------------------
// Instances
// ---------------------------------------------------------------------------------------------

function factsFor({ host, instanceDir }) {
  const users = Object.fromEntries(Object.entries(USERS).map(([k, u]) => [k, { ...u }]));
  const groups = Object.fromEntries(
    Object.entries(GROUPS).map(([k, g]) => [
      k,
      {
        name: g.name,
        dn: g.dn,
        members: g.members.map((m) => (m.startsWith('group:') ? GROUPS[m.slice(6)].dn : USERS[m].dn)), // prettier-ignore
      },
    ]),
  );
  groups.domainAdmins.members = Object.values(USERS).filter((u) => u.adminCount).map((u) => u.dn); // prettier-ignore
  return {
    kind: 'samba',
    host,
    ldapUrl: `ldap://${host}:389`,
    ldapsUrl: `ldaps://${host}:636`,
    kdc: `${host}:88`,
    baseDn: BASE_DN,
    realm: REALM,
    dnsDomain: DNS_DOMAIN,
    netbiosDomain: DOMAIN,
    adminDn: `CN=Administrator,CN=Users,${BASE_DN}`,
    adminUpn: `Administrator@${DNS_DOMAIN}`,
    adminPassword: ADMIN_PASSWORD,
    serviceDn: SERVICE.dn,
    serviceUpn: SERVICE.upn,
    serviceSamAccountName: SERVICE.name,
    servicePassword: SERVICE.password,
    serviceRights: {
      scope: OU.staff,
      rights: DELEGATED_RIGHTS.map((r) => r.right),
      excluded: 'adminCount=1 users (protected descriptor, like AdminSDHolder)',
    },
    krb5Conf: join(instanceDir, 'krb5.conf'),
    caFile: join(instanceDir, 'private', 'tls', 'ca.pem'),
    ous: { ...OU },
    users,
    groups,
    pso: {
      name: PSO.name,
      dn: PSO.dn,
      appliesTo: PSO.appliesTo,
      minPwdLength: PSO.minPwdLength,
      historyLength: PSO.historyLength,
      minPwdAgeDays: PSO.minPwdAgeDays,
      lockoutThreshold: PSO.lockoutThreshold,
    },
    domainPolicy: { ...DOMAIN_POLICY },
    instanceDir,
    logFile: join(instanceDir, 'samba.out'),
  };
}

function krb5Conf(host) {
  return [
    '[libdefaults]',
    `\tdefault_realm = ${REALM}`,
    '\tdns_lookup_realm = false',
    '\tdns_lookup_kdc = false',
    '\trdns = false',
    '',
    '[realms]',
    `\t${REALM} = {`,
    `\t\tkdc = ${host}:88`,
    `\t\tadmin_server = ${host}:749`,
    `\t\tkpasswd_server = ${host}:464`,
    '\t}',
    '',
    '[domain_realm]',
    `\t.${DNS_DOMAIN} = ${REALM}`,
    `\t${DNS_DOMAIN} = ${REALM}`,
    '',
  ].join('\n');
}

/** Copies the template into `instanceDir`, points it at `host`, starts samba, waits for LDAPS. */
async function launch({ templateDir, marker, instanceDir, host, log }) {
  await copyTree(templateDir, instanceDir);
  await editSmbConf(join(instanceDir, 'etc', 'smb.conf'), (text) =>
    text
      .replaceAll(marker.provisionedIn, instanceDir)
      .replace(/^(\s*interfaces\s*=).*$/m, `$1 ${host}/8`),
  );
  await rm(join(instanceDir, 'sspr-template.json'), { force: true });
  await Promise.all(
    ['log', 'run', 'ntp_signd'].map((d) => mkdir(join(instanceDir, d), { recursive: true })),
  );
  await mkdir('/run/samba', { recursive: true }); // winbindd's compiled-in socket dir (gotcha 3)
  await writeFile(join(instanceDir, 'krb5.conf'), krb5Conf(host));
  const facts = factsFor({ host, instanceDir });
  const logFile = facts.logFile;
  const pid = startDaemon(
    'samba',
    ['-s', join(instanceDir, 'etc', 'smb.conf'), '-F', '--no-process-group'],
    { logFile, env: { ...process.env, KRB5_CONFIG: facts.krb5Conf } },
  );
  await writeJson(join(instanceDir, 'sspr-state.json'), {
    pid,
    host,
    templateDir,
    instanceDir,
    startedAt: new Date().toISOString(),
    facts,
  });
  log(`samba started (pid ${pid}) on ${host}; waiting for LDAPS`);
  try {
    await waitUntil(
      `LDAPS on ${facts.ldapsUrl}`,
      async () => {
        if (!isAlive(pid, 'samba')) {
          throw Object.assign(new Error(`samba exited during start. ${logFile}:\n${tail(logFile)}`), { fatal: true }); // prettier-ignore
        }
        const bind = await ldapBind({
          url: facts.ldapsUrl,
          dn: facts.adminUpn,
          password: ADMIN_PASSWORD,
          caFile: facts.caFile,
        });
        if (bind.code !== 0) throw new Error(`admin bind: code ${bind.code} ${bind.message}`);
        return answers(host, 88); // the KDC
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
  } catch (error) {
    await stopDaemon(pid, 'samba');
    throw error;
  }
  return facts;
}

async function stopInstance(instanceDir, { release = true } = {}) {
  const state = await readJson(join(instanceDir, 'sspr-state.json'));
  if (!state) return false;
  const stopped = await stopDaemon(state.pid, 'samba');
  if (release) await releaseAddress(instanceDir, state.host);
  return stopped;
}

function makeHandle(facts, { templateDir, marker, log }) {
  const { instanceDir, host } = facts;
  return {
    ...facts,
    /** Stops the DC (whatever pid currently runs in the instance directory). */
    stop: () => stopInstance(instanceDir).then(() => undefined),
    /** Stop, copy the seeded template back, start again (same address): ~1–2 s. */
    restore: async () => {
      const t = performance.now();
      await stopInstance(instanceDir, { release: false });
      await launch({ templateDir, marker, instanceDir, host, log });
      log(`restored the seeded state (${((performance.now() - t) / 1000).toFixed(2)} s)`);
    },
  };
}

/**
 * Starts a seeded DC → handle `{ …facts, stop(), restore() }`. `baseDir` holds the template
 * (`samba.tpl`) and, by default, the instance (`samba`).
 */
export async function startSamba({
  baseDir = defaultBaseDir,
  instanceDir,
  log = createLog('samba'),
} = {}) {
  const base = resolve(baseDir);
  const dir = resolve(instanceDir ?? join(base, 'samba'));
  if (!log.timed) log = createLog('samba', log);
  const t0 = performance.now();
  if (!isRoot) {
    throw new Error(
      'the Samba AD DC must run as root (it binds ports 88/389/636 on a loopback address and ' +
        'writes root-only key files). Run the tests as root (sudo), or start a DC elsewhere and ' +
        'export its facts as SSPR_TEST_SAMBA.',
    );
  }
  await mkdir(base, { recursive: true });
  if (await ensurePackages({ packages: SAMBA_PACKAGES, what: 'Samba AD DC', log })) {
    log('Samba installed');
  }
  if (await stopInstance(dir, { release: false })) log(`stopped the DC left running in ${dir}`);
  assertDisposable(dir, ['sspr-state.json', 'etc/smb.conf']);
  const { templateDir, marker } = await ensureTemplate({ baseDir: base, log });
  const host = await claimAddress(dir, log);
  await ensureOnLoopback(host, log);
  let facts;
  try {
    facts = await launch({ templateDir, marker, instanceDir: dir, host, log });
  } catch (error) {
    await releaseAddress(dir, host);
    throw error;
  }
  log(`ready: ${facts.ldapsUrl} (${((performance.now() - t0) / 1000).toFixed(2)} s in all)`);
  return makeHandle(facts, { templateDir, marker, log });
}

/** Stops the DC running from `instanceDir` (if any) and frees its loopback address. */
export async function stopSamba({ instanceDir }) {
  return stopInstance(resolve(instanceDir));
}

/** The handle of a DC already running from `instanceDir` (e.g. started by `npm test`), or null. */
export async function attachSamba({ instanceDir, log = createLog('samba') }) {
  const state = await readJson(join(resolve(instanceDir), 'sspr-state.json'));
  if (!state || !isAlive(state.pid, 'samba')) return null;
  const marker = await readJson(join(state.templateDir, 'sspr-template.json'));
  if (!marker) return null;
  return makeHandle(state.facts, { templateDir: state.templateDir, marker, log });
}

// ---------------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------------

function cliInstanceDir(args, baseDir) {
  const at = args.indexOf('--dir');
  if (at >= 0 && args[at + 1]) return resolve(args[at + 1]);
  try {
    const given = JSON.parse(process.env.SSPR_TEST_SAMBA ?? 'null');
    if (given?.instanceDir) return given.instanceDir;
  } catch {
    /* not JSON: ignore */
  }
  return join(resolve(baseDir), 'samba');
}

if (isMain(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  const baseDir = process.env.SSPR_TEST_DIR ?? defaultBaseDir;
  const instanceDir = cliInstanceDir(args, baseDir);
  const log = createLog('samba');
  try {
    if (command === 'start') {
      const handle = await startSamba({ baseDir, instanceDir, log });
      process.stdout.write(`${JSON.stringify(factsOf(handle), null, 2)}\n`);
    } else if (command === 'stop') {
      log((await stopInstance(instanceDir)) ? `stopped (${instanceDir})` : 'not running');
    } else if (command === 'status') {
      const handle = await attachSamba({ instanceDir, log });
      if (handle) process.stdout.write(`${JSON.stringify(factsOf(handle), null, 2)}\n`);
      else {
        log(`not running (${instanceDir})`);
        process.exitCode = 1;
      }
    } else if (command === 'restore') {
      const handle = await attachSamba({ instanceDir, log });
      if (!handle) throw new Error(`no DC runs from ${instanceDir}: use start`);
      await handle.restore();
    } else if (command === 'install') {
      await ensurePackages({ packages: SAMBA_PACKAGES, what: 'Samba AD DC', log });
      log('packages present');
    } else {
      log(
        'usage: node scripts/samba-dc.mjs start|stop|status|restore|install [--dir <instance dir>]\n' +
          '  env SSPR_TEST_DIR: base directory (default .test-run/), holding samba.tpl and samba/',
      );
      process.exitCode = 2;
    }
  } catch (error) {
    log(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}
