/**
 * Plain ldapts for the benchmarks' own directory work (creating users, the raw password writes
 * that are the physical limit, the delta's modifications): none of the product's LDAP code.
 */
import { readFileSync } from 'node:fs';
import { BerWriter, Client } from 'ldapts';

/** An LDAPS client bound as `dn`, verifying the server against `caFile`. */
export async function boundClient(
  url: string,
  caFile: string,
  dn: string,
  password: string,
): Promise<Client> {
  const client = new Client({
    url,
    timeout: 60_000,
    connectTimeout: 10_000,
    tlsOptions: { ca: readFileSync(caFile), rejectUnauthorized: true },
  });
  await client.bind(dn, password);
  return client;
}

/** AD's unicodePwd value: the password in double quotes, UTF-16LE. */
export const unicodePwd = (password: string): Buffer => Buffer.from(`"${password}"`, 'utf16le');

export const PASSWORD_MODIFY_OID = '1.3.6.1.4.1.4203.1.11.1';

/** RFC 3062 PasswdModifyRequestValue: SEQUENCE { [0] userIdentity, [2] newPasswd }. */
export function passwordModifyValue(dn: string, newPassword: string): Buffer {
  const writer = new BerWriter();
  writer.startSequence();
  writer.writeBuffer(Buffer.from(dn, 'utf8'), 0x80);
  writer.writeBuffer(Buffer.from(newPassword, 'utf8'), 0x82);
  writer.endSequence();
  return writer.buffer;
}

/** Closes clients, ignoring the ones already gone. */
export async function unbindAll(clients: readonly Client[]): Promise<void> {
  await Promise.all(clients.map((c) => c.unbind().catch(() => undefined)));
}
