import type { Command } from 'commander';
import { adminConnection, adminRequest } from './admin-client.js';
import type { CliIo } from './io.js';

/** Turns `a.b.c=value` pairs into a nested patch; values are JSON when they parse, else strings. */
export function parseAssignments(pairs: readonly string[]): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0)
      throw new Error(`"${pair}" is not KEY=VALUE (e.g. enabledFor=all, methodsRequired=2)`);
    const path = pair.slice(0, eq).split('.');
    const raw = pair.slice(eq + 1);
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      value = raw.includes(',') ? raw.split(',').map((s) => s.trim()) : raw;
    }
    let node = patch;
    path.forEach((segment, i) => {
      if (i === path.length - 1) {
        node[segment] = value;
      } else {
        const next = node[segment];
        const child =
          typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : {};
        node[segment] = child;
        node = child;
      }
    });
  }
  return patch;
}

interface ConnOptions {
  server?: string;
  token?: string;
}

/** `sspr admin policy show|set KEY=VALUE…` over the admin API. */
export function registerAdminPolicy(admin: Command, io: CliIo): void {
  const policy = admin.command('policy').description('read or change the SSPR policy (admin API)');
  policy
    .command('show')
    .description('print the SSPR policy document as JSON')
    .option('--server <url>', 'server URL (default SSPR_SERVER or http://127.0.0.1:8080)')
    .option('--token <token>', 'admin token (default SSPR_ADMIN_TOKEN)')
    .action(async (options: ConnOptions) => {
      const doc = await adminRequest(adminConnection(options, io), 'GET', '/admin/policy');
      io.out(JSON.stringify(doc, null, 2));
    });
  policy
    .command('set')
    .description(
      'change policy fields, e.g. `enabledFor=all methodsRequired=2 methods.securityQuestions=true`',
    )
    .argument('<assignments...>', 'KEY=VALUE pairs; KEY is a dotted path of the policy document')
    .option('--server <url>', 'server URL (default SSPR_SERVER or http://127.0.0.1:8080)')
    .option('--token <token>', 'admin token (default SSPR_ADMIN_TOKEN)')
    .action(async (assignments: string[], options: ConnOptions) => {
      const patch = parseAssignments(assignments);
      const doc = await adminRequest(adminConnection(options, io), 'PATCH', '/admin/policy', patch);
      io.out(JSON.stringify(doc, null, 2));
      io.err('policy updated (the change is in the audit log)');
    });
}
