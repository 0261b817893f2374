import { join, resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { CliIo } from '../cli/io.js';
import { createAgentRegistrationToken } from '../services/agent-registration.js';
import { createAgentRuntime, type AgentRuntime } from './agent-runtime.js';
import { createDirectoryFromConfig } from './directory-factory.js';
import type { ServerRuntime } from './server-runtime.js';

/** What scripts/openldap.mjs reports about the private slapd it started. */
interface OpenLdapHandle {
  readonly ldapsUrl: string;
  readonly baseDn: string;
  readonly serviceDn: string;
  readonly servicePassword: string;
  readonly caFile: string;
  readonly ous: { readonly staff: string; readonly groups: string };
  readonly users: Readonly<
    Record<
      string,
      {
        readonly uid: string;
        readonly mail: string;
        readonly password: string;
        readonly note?: string;
      }
    >
  >;
  stop(): Promise<void>;
}

export interface DemoDirectory {
  readonly agent: AgentRuntime;
  readonly ldap: OpenLdapHandle;
  readonly lines: readonly string[];
  close(): Promise<void>;
}

/**
 * `sspr demo --with-ldap`: a private OpenLDAP slapd with ppolicy and sample users (the test
 * directory of scripts/openldap.mjs, installed from Debian's packages when missing and run as
 * root), and a real agent dialling out to the demo server, then a full sync.
 */
export async function startDemoDirectory(
  runtime: ServerRuntime,
  config: Config,
  io: CliIo,
): Promise<DemoDirectory> {
  const script = new URL('../../scripts/openldap.mjs', import.meta.url).href;
  const { startOpenLdap } = (await import(script)) as {
    startOpenLdap: (o: { baseDir: string; log: (line: string) => void }) => Promise<OpenLdapHandle>;
  };
  const dataDir = resolve(io.cwd, config.dataDir);
  io.err('Starting a private OpenLDAP (slapd + ppolicy) with sample users …');
  const ldap = await startOpenLdap({
    baseDir: join(dataDir, 'ldap'),
    log: (line) => {
      io.err(`  ${line}`);
    },
  });
  try {
    const registration = await createAgentRegistrationToken(runtime.services);
    const agentConfig = loadConfig({
      env: {
        SSPR_DATA_DIR: join(dataDir, 'agent'),
        SSPR_LOG_LEVEL: 'warn',
        SSPR_SERVER_URL: config.publicUrl,
        SSPR_SERVER_REGISTRATION_TOKEN: registration.token,
        SSPR_DIRECTORY_KIND: 'openldap',
        SSPR_DIRECTORY_URLS: ldap.ldapsUrl,
        SSPR_DIRECTORY_BIND_DN: ldap.serviceDn,
        SSPR_DIRECTORY_BIND_PASSWORD: ldap.servicePassword,
        SSPR_DIRECTORY_BASE_DN: ldap.baseDn,
        SSPR_DIRECTORY_SCOPE: [ldap.ous.staff, ldap.ous.groups].join(';'),
        SSPR_DIRECTORY_TLS_CA: ldap.caFile,
      },
      cwd: io.cwd,
    });
    const quiet = {
      info: () => undefined,
      warn: (o: Record<string, unknown>, m: string) => {
        io.err(`agent: ${m}`);
      },
      error: (o: Record<string, unknown>, m: string) => {
        io.err(`agent: ${m}`);
      },
    };
    const agent = await createAgentRuntime(agentConfig, {
      makeDirectory: createDirectoryFromConfig,
      log: quiet,
    });
    await agent.agent.connected();
    io.err('Agent connected; syncing the directory …');
    const summary = await runtime.agentLink.sync({ full: true });
    const users = Object.values(ldap.users);
    const lines = [
      `Directory (OpenLDAP, ${ldap.ldapsUrl}, synced: ${String(summary.users.added + summary.users.updated)} users, ${String(summary.groups.added + summary.groups.updated)} groups):`,
      ...users.map(
        (u) => `  ${u.mail.padEnd(26)} password ${u.password.padEnd(21)} ${u.note ?? ''}`,
      ),
      '  Reset one through the API with the email gate (their mail is pre-populated; codes land in the dev outbox);',
      '  the new password is written to slapd by the agent (check: ldapwhoami -x -H <ldaps url> -D <dn> -w <password>).',
    ];
    return {
      agent,
      ldap,
      lines,
      close: async () => {
        await agent.close();
        await ldap.stop();
      },
    };
  } catch (error) {
    await ldap.stop();
    throw error;
  }
}
