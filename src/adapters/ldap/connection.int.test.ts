/**
 * The service connection survives a directory restart: a private slapd (isolated, so restarting
 * it disturbs no other file) is stopped and started under a live adapter.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { useOpenLdap } from '../../../test/support/directories.js';
import { createOpenLdapDirectory, type OpenLdapDirectory } from './openldap.js';

const slapd = useOpenLdap({ isolated: true });
const open: OpenLdapDirectory[] = [];

afterAll(async () => {
  await Promise.all(open.map((dir) => dir.close()));
});

function directory(url: string): OpenLdapDirectory {
  const f = slapd();
  const dir = createOpenLdapDirectory({
    urls: [url],
    bindDn: f.serviceDn,
    bindPassword: f.servicePassword,
    tls: { ca: readFileSync(f.caFile, 'utf8'), rejectUnauthorized: true },
    baseDn: f.baseDn,
    scope: [f.ous.staff],
    timeoutMs: 5_000,
  });
  open.push(dir);
  return dir;
}

describe('the service connection', () => {
  it('is re-established (TLS and bind in full) after the server restarts', async () => {
    const f = slapd();
    const viaStartTls = directory(f.ldapUrl);
    const viaLdaps = directory(f.ldapsUrl);
    for (const dir of [viaStartTls, viaLdaps]) {
      expect((await dir.findUser({ by: 'accountName', value: 'alice' }))?.dn).toBe(
        f.users.alice.dn,
      );
    }
    await slapd.restore(); // stop + start: every open connection is dropped

    for (const dir of [viaStartTls, viaLdaps]) {
      // Reads and writes both run on a new, fully established session.
      // … at once: not after a timeout on the dead session (timeoutMs is 5 s).
      const started = Date.now();
      expect((await dir.findUser({ by: 'accountName', value: 'bob' }))?.dn).toBe(f.users.bob.dn);
      await dir.setMustChange(f.users.bob.dn, false);
      expect((await dir.readAccountState(f.users.bob.dn)).mustChange).toBe(false);
      expect(Date.now() - started).toBeLessThan(2_000);
    }
  });
});
