import { readFile } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import type { Directory } from '../domain/ports/directory.js';
import { AgentSetupError } from '../agent/log.js';
import { createActiveDirectoryDirectory } from '../adapters/ldap/active-directory.js';
import { createOpenLdapDirectory } from '../adapters/ldap/openldap.js';

/** `directory.tls.ca` is PEM text or a path to a PEM file. */
async function readCa(ca: string | undefined): Promise<string | undefined> {
  if (ca === undefined) return undefined;
  if (ca.includes('-----BEGIN')) return ca;
  try {
    return await readFile(ca, 'utf8');
  } catch (error) {
    throw new AgentSetupError(
      `directory.tls.ca: cannot read ${ca} (${(error as NodeJS.ErrnoException).code ?? 'error'}); give the path of the CA's PEM file or the PEM text`,
    );
  }
}

/** The agent's Directory adapter, from `directory.*` (composition root: config → adapter). */
export async function createDirectoryFromConfig(config: Config): Promise<Directory> {
  const d = config.directory;
  const missing = (['kind', 'bindDn', 'bindPassword', 'baseDn'] as const).filter(
    (k) => d[k] === undefined,
  );
  if (d.urls.length === 0) missing.push('urls' as never);
  if (
    missing.length > 0 ||
    d.kind === undefined ||
    d.bindDn === undefined ||
    d.bindPassword === undefined ||
    d.baseDn === undefined
  ) {
    throw new AgentSetupError(
      `the agent needs ${missing.map((k) => `directory.${k}`).join(', ')} (see docs/config.md, "Agent")`,
    );
  }
  const options = {
    urls: d.urls,
    bindDn: d.bindDn,
    bindPassword: d.bindPassword,
    baseDn: d.baseDn,
    scope: d.scope,
    tls: { ca: await readCa(d.tls.ca), rejectUnauthorized: d.tls.rejectUnauthorized },
  };
  return d.kind === 'ad'
    ? createActiveDirectoryDirectory(options)
    : createOpenLdapDirectory(options);
}
