/**
 * The Directory port over LDAP: Active Directory (Windows AD, Samba AD DC) and OpenLDAP with
 * ppolicy. Only composition roots (src/main/) import this.
 *
 *   const directory = createLdapDirectory({ kind: 'ad', urls, bindDn, bindPassword,
 *     tls: { ca: pemText, rejectUnauthorized: true }, baseDn, scope });
 *
 * `tls.ca` is PEM text (the composition root reads `directory.tls.ca` when it names a file).
 */
import type { Directory } from '../../domain/ports/directory.js';
import { ActiveDirectoryDirectory, type ActiveDirectoryOptions } from './active-directory.js';
import { OpenLdapDirectory, type OpenLdapOptions } from './openldap.js';

export {
  ActiveDirectoryDirectory,
  createActiveDirectoryDirectory,
  type ActiveDirectoryOptions,
} from './active-directory.js';
export { OpenLdapDirectory, createOpenLdapDirectory, type OpenLdapOptions } from './openldap.js';
export {
  createLdapConnector,
  type LdapConnector,
  type LdapConnectorOptions,
  type LdapTlsOptions,
} from './connection.js';
export type { LdapDirectoryOptions } from './directory-base.js';
export { presets, type DirectoryKind } from './presets.js';

export type LdapDirectoryConfig =
  | ({ readonly kind: 'ad' } & ActiveDirectoryOptions)
  | ({ readonly kind: 'openldap' } & OpenLdapOptions);

/** The adapter for `directory.kind`. */
export function createLdapDirectory(config: LdapDirectoryConfig): Directory {
  return config.kind === 'ad'
    ? new ActiveDirectoryDirectory(config)
    : new OpenLdapDirectory(config);
}
