/**
 * Shared by the tests of the LDAP adapters against the real directories of `npm test`
 * (test/support/directories.ts): the service account's options, failures, scans.
 */
import type { ActiveDirectoryOptions } from '../../src/adapters/ldap/active-directory.js';
import type { OpenLdapOptions } from '../../src/adapters/ldap/openldap.js';
import { SsprError } from '../../src/domain/errors/sspr-error.js';
import type { Directory, DirectoryChangePage } from '../../src/domain/ports/directory.js';
import type { OpenLdapFacts, SambaFacts } from './directories.js';

/** The delegated svc-sspr on the Samba DC over LDAPS, OU=Staff in scope. */
export function sambaServiceOptions(f: SambaFacts, ca: string): ActiveDirectoryOptions {
  return {
    urls: [f.ldapsUrl],
    bindDn: f.serviceUpn,
    bindPassword: f.servicePassword,
    tls: { ca, rejectUnauthorized: true },
    baseDn: f.baseDn,
    scope: [f.ous.staff],
    timeoutMs: 15_000,
    connectTimeoutMs: 5_000,
  };
}

/** The password administrator cn=sspr-svc on slapd over LDAPS, ou=staff and ou=groups in scope. */
export function openLdapServiceOptions(f: OpenLdapFacts, ca: string): OpenLdapOptions {
  return {
    urls: [f.ldapsUrl],
    bindDn: f.serviceDn,
    bindPassword: f.servicePassword,
    tls: { ca, rejectUnauthorized: true },
    baseDn: f.baseDn,
    scope: [f.ous.staff, f.ous.groups],
    timeoutMs: 10_000,
  };
}

/** The SsprError a promise rejects with (anything else is rethrown; success is an error). */
export async function failure(promise: Promise<unknown>): Promise<SsprError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SsprError) return error;
    throw error;
  }
  throw new Error('expected an SsprError');
}

/** Every page of a scan from `cookie`, with the scan's result. */
export async function collect(
  dir: Pick<Directory, 'scan'>,
  cookie: string | null,
  pageSize = 2,
): Promise<{ pages: DirectoryChangePage[]; full: boolean; cookie: string }> {
  const pages: DirectoryChangePage[] = [];
  const result = await dir.scan(
    cookie,
    async (page) => {
      pages.push(page);
    },
    { pageSize },
  );
  return { pages, ...result };
}
