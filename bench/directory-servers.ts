/**
 * Private directory servers for the benchmarks, started with the test scripts
 * (scripts/samba-dc.mjs, scripts/openldap.mjs) into a temporary instance directory, so the
 * seeded test servers of `npm test` (and anyone else's) stay untouched. The Samba DC is copied
 * from the scripts' provisioned template (`$SSPR_TEST_DIR` or .test-run/samba.tpl, built once,
 * only read here); slapd is built from scratch in the temp directory.
 *
 * `halt()` / `resume()` stop the daemon and start it again from its files as they are, for
 * offline seeding (slapadd, ldbadd) between the two.
 */
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { OpenLdapFacts, SambaFacts } from '../test/support/directories.js';
import { progress } from './report.js';
import type { AgentDirectory } from './server-stack.js';

export type DirectoryName = 'samba' | 'openldap';
export const DIRECTORY_NAMES: readonly DirectoryName[] = ['samba', 'openldap'];

export interface Account {
  readonly dn: string;
  readonly password: string;
}

export interface BenchDirectory {
  readonly name: DirectoryName;
  /** e.g. "Samba AD DC 4.17.12-Debian" */
  readonly label: string;
  readonly ldapsUrl: string;
  readonly caFile: string;
  readonly baseDn: string;
  /** Samba: Administrator; OpenLDAP: the rootDN. Creates and modifies the bench objects. */
  readonly admin: Account;
  /** The agent's service account (Samba: svc-sspr, delegated on OU=Staff; OpenLDAP: sspr-svc). */
  readonly service: Account;
  /** The OU the agent's scope is (OU=Staff / ou=staff); bench objects go below it. */
  readonly scopeDn: string;
  /** The domain of synced UPNs (Samba: userPrincipalName; OpenLDAP: uid@ the baseDn's domain). */
  readonly upnDomain: string;
  /** The agent's `directory.*` for this server. */
  readonly agent: AgentDirectory;
  readonly instanceDir: string;
  /** The daemon's pid (its process group holds every worker). */
  pid(): Promise<number>;
  /** Stops the daemon; the instance's files and address stay. */
  halt(): Promise<void>;
  /** Starts the halted daemon from its files as they are now; waits until LDAPS answers. */
  resume(): Promise<void>;
  /** Stops the daemon and removes the instance directory. */
  stop(): Promise<void>;
}

interface ScriptHandle {
  readonly instanceDir: string;
  stop(): Promise<void>;
}

type StartScript<F> = (options: {
  baseDir: string;
  instanceDir: string;
  log: (line: string) => void;
}) => Promise<F & ScriptHandle>;

interface Helpers {
  readJson(file: string): Promise<unknown>;
  writeJson(file: string, value: unknown): Promise<void>;
  startDaemon(
    command: string,
    args: readonly string[],
    options: { logFile: string; env?: NodeJS.ProcessEnv },
  ): number;
  stopDaemon(pid: number, name: string): Promise<boolean>;
  waitUntil(
    label: string,
    probe: () => Promise<unknown>,
    options?: { timeoutMs?: number; intervalMs?: number },
  ): Promise<unknown>;
  ldapBind(options: {
    url: string;
    dn: string;
    password: string;
    caFile: string;
  }): Promise<{ code: number; message: string }>;
  run(
    command: string,
    args: readonly string[],
    options?: { input?: string },
  ): Promise<{ stdout: string; stderr: string }>;
  defaultBaseDir: string;
}

const script = async <T>(name: string): Promise<T> =>
  (await import(
    pathToFileURL(fileURLToPath(new URL(`../scripts/${name}`, import.meta.url))).href
  )) as T;

function versionOf(command: string, args: readonly string[], pattern: RegExp): string {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  return pattern.exec(`${result.stdout}${result.stderr}`)?.[1] ?? '?';
}

interface DaemonState {
  pid: number;
  [key: string]: unknown;
}

export async function startBenchDirectory(
  name: DirectoryName,
  instanceDir: string,
): Promise<BenchDirectory> {
  const helpers = await script<Helpers>('directories.mjs');
  const log = (line: string): void => {
    progress(`  ${line}`);
  };
  const stateFile = join(instanceDir, 'sspr-state.json');
  const readState = async (): Promise<DaemonState> => {
    const state = (await helpers.readJson(stateFile)) as DaemonState | null;
    if (state === null) throw new Error(`no daemon state in ${stateFile}`);
    return state;
  };
  const daemon = name === 'samba' ? 'samba' : 'slapd';
  const common = {
    pid: async () => (await readState()).pid,
    halt: async () => {
      await helpers.stopDaemon((await readState()).pid, daemon);
    },
  };

  if (name === 'samba') {
    const { startSamba } = await script<{ startSamba: StartScript<SambaFacts> }>('samba-dc.mjs');
    const baseDir = process.env.SSPR_TEST_DIR ?? helpers.defaultBaseDir;
    const handle = await startSamba({ baseDir, instanceDir, log });
    const f = handle;
    const admin = { dn: f.adminDn, password: f.adminPassword };
    return {
      ...common,
      name,
      label: `Samba AD DC ${versionOf('samba', ['-V'], /Version (\S+)/)}`,
      ldapsUrl: f.ldapsUrl,
      caFile: f.caFile,
      baseDn: f.baseDn,
      admin,
      service: { dn: f.serviceDn, password: f.servicePassword },
      scopeDn: f.ous.staff,
      upnDomain: f.dnsDomain,
      instanceDir,
      agent: {
        kind: 'ad',
        urls: [f.ldapsUrl],
        bindDn: f.serviceDn,
        bindPassword: f.servicePassword,
        baseDn: f.baseDn,
        scope: [f.ous.staff],
        caFile: f.caFile,
      },
      resume: async () => {
        const state = await readState();
        const pid = helpers.startDaemon(
          'samba',
          ['-s', join(instanceDir, 'etc', 'smb.conf'), '-F', '--no-process-group'],
          { logFile: f.logFile, env: { ...process.env, KRB5_CONFIG: f.krb5Conf } },
        );
        await helpers.writeJson(stateFile, { ...state, pid });
        await helpers.waitUntil(
          `LDAPS on ${f.ldapsUrl}`,
          async () => {
            const bind = await helpers.ldapBind({ url: f.ldapsUrl, ...admin, caFile: f.caFile });
            if (bind.code !== 0) throw new Error(`admin bind: code ${bind.code} ${bind.message}`);
            return true;
          },
          { timeoutMs: 120_000, intervalMs: 100 },
        );
      },
      stop: async () => {
        await handle.stop();
        await rm(instanceDir, { recursive: true, force: true });
      },
    };
  }

  const { startOpenLdap } = await script<{ startOpenLdap: StartScript<OpenLdapFacts> }>(
    'openldap.mjs',
  );
  // slapd needs no template: its TLS files go to the temp directory too.
  const handle = await startOpenLdap({ baseDir: join(instanceDir, '..'), instanceDir, log });
  const f = handle;
  const service = { dn: f.serviceDn, password: f.servicePassword };
  // slapd answers a search with more than 500 entries (olcSizeLimit's default, also the total of
  // a paged search) with sizeLimitExceeded for anyone but the rootDN: a directory with more users
  // than that needs a limit for the agent's account, as here (cn=config over ldapi, as root).
  await helpers.run('ldapmodify', ['-Q', '-Y', 'EXTERNAL', '-H', f.ldapiUrl], {
    input: [
      'dn: olcDatabase={1}mdb,cn=config',
      'changetype: modify',
      'add: olcLimits',
      `olcLimits: {0}dn.exact="${f.serviceDn}" size=unlimited`,
      '',
    ].join('\n'),
  });
  return {
    ...common,
    name,
    label: `OpenLDAP slapd ${versionOf('slapd', ['-VV'], /slapd (\S+)/)}`,
    ldapsUrl: f.ldapsUrl,
    caFile: f.caFile,
    baseDn: f.baseDn,
    admin: { dn: f.adminDn, password: f.adminPassword },
    service,
    scopeDn: f.ous.staff,
    upnDomain: f.baseDn
      .split(',')
      .map((rdn) => rdn.replace(/^dc=/i, ''))
      .join('.'),
    instanceDir,
    agent: {
      kind: 'openldap',
      urls: [f.ldapsUrl],
      bindDn: f.serviceDn,
      bindPassword: f.servicePassword,
      baseDn: f.baseDn,
      scope: [f.ous.staff],
      caFile: f.caFile,
    },
    resume: async () => {
      const state = (await readState()) as DaemonState & {
        ports: { ldap: number; ldaps: number };
        ldapiUrl: string;
      };
      const urls = [
        `ldap://${f.host}:${state.ports.ldap}/`,
        `ldaps://${f.host}:${state.ports.ldaps}/`,
        state.ldapiUrl,
      ];
      const pid = helpers.startDaemon(
        'slapd',
        ['-d', '0', '-F', join(instanceDir, 'slapd.d'), '-h', urls.join(' ')],
        { logFile: f.logFile },
      );
      await helpers.writeJson(stateFile, { ...state, pid });
      await helpers.waitUntil(
        `slapd on ${f.ldapsUrl}`,
        async () => {
          const bind = await helpers.ldapBind({ url: f.ldapsUrl, ...service, caFile: f.caFile });
          if (bind.code !== 0) throw new Error(`bind: code ${bind.code} ${bind.message}`);
          return true;
        },
        { timeoutMs: 60_000, intervalMs: 25 },
      );
    },
    stop: async () => {
      await handle.stop();
      await rm(instanceDir, { recursive: true, force: true });
    },
  };
}
