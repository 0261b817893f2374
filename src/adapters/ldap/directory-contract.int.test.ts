/**
 * The Directory contract (test/contracts/directory.contract.ts) against the real adapters:
 * ActiveDirectoryDirectory on the Samba AD DC, bound as the delegated svc-sspr with OU=Staff in
 * scope, and OpenLdapDirectory on slapd with ppolicy, bound as the password administrator
 * sspr-svc. Each contract user is created by an administrator connection under a unique name in
 * scope and deleted afterwards, so the shared servers of `npm test` stay as seeded.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Attribute, Client } from 'ldapts';
import {
  directoryContract,
  type ContractUser,
} from '../../../test/contracts/directory.contract.js';
import { useOpenLdap, useSamba } from '../../../test/support/directories.js';
import { openLdapServiceOptions, sambaServiceOptions } from '../../../test/support/ldap-adapter.js';
import type { Directory } from '../../domain/ports/directory.js';
import { createActiveDirectoryDirectory, unicodePwd } from './active-directory.js';
import { createOpenLdapDirectory } from './openldap.js';

const samba = useSamba();
const slapd = useOpenLdap();

const unique = (): string => `c${randomBytes(4).toString('hex')}`;
const password = (): string => `Contract!Passw0rd-${randomBytes(3).toString('hex')}`;

/** Simple binds as the user with wrong passwords: how a directory's lockout is reached. */
async function failBinds(url: string, ca: string, dn: string, times: number): Promise<void> {
  for (let attempt = 0; attempt < times; attempt += 1) {
    const client = new Client({ url, tlsOptions: { ca, rejectUnauthorized: true } });
    try {
      await client.bind(dn, `Wrong!Passw0rd-${String(attempt)}-${unique()}`);
      throw new Error(`a wrong password bound as ${dn}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('a wrong password')) throw error;
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }
}

/** What both setups share: the admin connection, created DNs, cleanup. */
async function realSetup(options: {
  url: string;
  ca: string;
  adminDn: string;
  adminPassword: string;
  directory: Directory;
  lockoutThreshold: number;
  create: (admin: Client) => Promise<ContractUser>;
}) {
  const admin = new Client({
    url: options.url,
    tlsOptions: { ca: options.ca, rejectUnauthorized: true },
  });
  await admin.bind(options.adminDn, options.adminPassword);
  const created: string[] = [];
  return {
    directory: options.directory,
    async user() {
      const user = await options.create(admin);
      created.push(user.dn);
      return user;
    },
    lock: (dn: string) => failBinds(options.url, options.ca, dn, options.lockoutThreshold),
    async cleanup() {
      for (const dn of created.reverse()) await admin.del(dn).catch(() => undefined);
      await admin.unbind();
      await options.directory.close();
    },
  };
}

directoryContract('ActiveDirectoryDirectory on Samba AD DC', async () => {
  const f = samba();
  const ca = readFileSync(f.caFile, 'utf8');
  return realSetup({
    url: f.ldapsUrl,
    ca,
    adminDn: f.adminDn,
    adminPassword: f.adminPassword,
    lockoutThreshold: f.domainPolicy.lockoutThreshold,
    directory: createActiveDirectoryDirectory(sambaServiceOptions(f, ca)),
    async create(admin) {
      const sam = unique();
      const dn = `CN=${sam},${f.ous.staff}`;
      const secret = password();
      await admin.add(dn, [
        new Attribute({ type: 'objectClass', values: ['user'] }),
        new Attribute({ type: 'sAMAccountName', values: [sam] }),
        new Attribute({ type: 'userPrincipalName', values: [`${sam}@${f.dnsDomain}`] }),
        new Attribute({ type: 'unicodePwd', values: [unicodePwd(secret)] }),
        new Attribute({ type: 'userAccountControl', values: ['512'] }),
      ]);
      return { dn, upn: `${sam}@${f.dnsDomain}`, accountName: sam, password: secret };
    },
  });
});

directoryContract('OpenLdapDirectory on slapd with ppolicy', async () => {
  const f = slapd();
  const ca = readFileSync(f.caFile, 'utf8');
  return realSetup({
    url: f.ldapsUrl,
    ca,
    adminDn: f.adminDn,
    adminPassword: f.adminPassword,
    lockoutThreshold: f.policies.default.pwdMaxFailure,
    directory: createOpenLdapDirectory(openLdapServiceOptions(f, ca)),
    async create(admin) {
      const uid = unique();
      const dn = `uid=${uid},${f.ous.staff}`;
      const secret = password();
      const mail = `${uid}@example.org`;
      await admin.add(dn, {
        objectClass: 'inetOrgPerson',
        uid,
        cn: `Contract ${uid}`,
        sn: uid,
        mail,
        userPassword: secret,
      });
      return { dn, upn: mail, accountName: uid, password: secret };
    },
  });
});
