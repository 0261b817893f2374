import { randomBytes } from 'node:crypto';
import { directoryContract } from '../contracts/directory.contract.js';
import { createFakeDirectory, fakePolicy } from './fake-directory.js';

// The in-memory fake the agent, gateway and route tests use, held to the same contract as the
// real adapters (src/adapters/ldap/directory-contract.int.test.ts).
directoryContract('fake', () => {
  const directory = createFakeDirectory();
  return Promise.resolve({
    directory,
    user() {
      const name = `t${randomBytes(4).toString('hex')}`;
      const password = `Initial!Passw0rd-${randomBytes(2).toString('hex')}`;
      directory.addUser(
        {
          dn: `CN=${name},OU=Staff,DC=contoso,DC=test`,
          externalId: `guid-${name}`,
          userPrincipalName: `${name}@contoso.test`,
          accountName: name,
        },
        password,
      );
      return Promise.resolve({
        dn: `CN=${name},OU=Staff,DC=contoso,DC=test`,
        upn: `${name}@Contoso.test`,
        accountName: name,
        password,
      });
    },
    // As a directory does: failed sign-ins up to the lockout threshold.
    async lock(dn) {
      for (let attempt = 0; attempt < fakePolicy.lockoutThreshold; attempt += 1) {
        await directory
          .verifyPassword(dn, `Wrong!Passw0rd-${String(attempt)}`)
          .catch(() => undefined);
      }
    },
    cleanup: () => directory.close(),
  });
});
