import type { Command } from 'commander';
import { totpCodeAt } from '../domain/methods/totp.js';
import type { CliIo } from './io.js';

/** `sspr totp SECRET`: the current code of an authenticator secret (for the demo and tests). */
export function registerTotpCode(program: Command, io: CliIo): void {
  program
    .command('totp')
    .description('print the current 6-digit code for a base32 TOTP secret (demo helper)')
    .argument(
      '<secret>',
      'base32 secret, as printed by `sspr demo` or returned by POST /me/methods/totp',
    )
    .action((secret: string) => {
      io.out(totpCodeAt(secret.replace(/\s+/g, '').toUpperCase(), new Date()));
    });
}
