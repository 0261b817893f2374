import type { Command } from 'commander';
import type { SyncSummary } from '../domain/ports/agent-link.js';
import { adminConnection, adminRequest, CliError } from './admin-client.js';
import type { CliIo } from './io.js';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Shows that a long request is under way: on a terminal a spinner with the elapsed seconds,
 * rewritten every second; otherwise one line. Returns the function that clears it.
 */
export function startProgress(io: CliIo, label: string, intervalMs = 1000): () => void {
  const tty = io.errTty;
  if (tty === undefined) {
    io.err(`${label} …`);
    return () => undefined;
  }
  const started = Date.now();
  let frame = 0;
  const draw = () => {
    const seconds = Math.floor((Date.now() - started) / 1000);
    tty.write(`\r\u001b[2K${SPINNER[frame % SPINNER.length] ?? '*'} ${label} … ${seconds} s`);
    frame += 1;
  };
  draw();
  const timer = setInterval(draw, intervalMs);
  return () => {
    clearInterval(timer);
    tty.write('\r\u001b[2K');
  };
}

/** The counts as a small table. */
export function formatSyncSummary(summary: SyncSummary): string[] {
  const rows: [string, string, string, string][] = [
    ['', 'added', 'updated', 'deleted'],
    ...(['users', 'groups'] as const).map((kind): [string, string, string, string] => [
      kind,
      String(summary[kind].added),
      String(summary[kind].updated),
      String(summary[kind].deleted),
    ]),
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  const table = rows.map((row) =>
    row
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[0] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
  const seconds =
    summary.finishedAt === null
      ? null
      : (Date.parse(summary.finishedAt) - Date.parse(summary.startedAt)) / 1000;
  const lines = [
    `${summary.full ? 'Full' : 'Delta'} sync ${summary.syncId}${
      seconds === null || Number.isNaN(seconds) ? '' : ` (${seconds.toFixed(1)} s)`
    }`,
    ...table,
  ];
  const details = summary.details;
  if (details !== undefined) {
    const { conflicts, skipped, invalidContacts, refusedDeletes } = details;
    if (conflicts.count > 0) {
      const first = conflicts.items[0];
      const holder =
        first?.conflictWith === null || first === undefined
          ? ''
          : ` (e.g. ${first.userPrincipalName}, held by a ${first.conflictWith.source} user)`;
      lines.push(
        `${String(conflicts.count)} user(s) not synced: their UPN is already used${holder}. Resolve it, then run \`sspr admin sync --full\`.`,
      );
    }
    if (skipped.criticalSystemObjects > 0) {
      lines.push(
        `${String(skipped.criticalSystemObjects)} critical system object(s) skipped (never synced).`,
      );
    }
    if (skipped.invalid > 0)
      lines.push(`${String(skipped.invalid)} object(s) without a UPN skipped.`);
    if (invalidContacts > 0) {
      lines.push(
        `${String(invalidContacts)} mail / phone value(s) not pre-populated: not valid (phones need +<country>).`,
      );
    }
    if (refusedDeletes !== null) {
      lines.push(
        `The accidental-delete guard kept ${String(refusedDeletes.users)} user(s) and ${String(refusedDeletes.groups)} group(s) from being deleted (sync.maxDeletes). If intended: sspr admin sync --allow-deletes`,
      );
    }
    if (details.guardOverriddenBy !== null) {
      lines.push(
        `Deletions above sync.maxDeletes were applied, as allowed by ${details.guardOverriddenBy}.`,
      );
    }
  }
  return lines;
}

interface SyncOptions {
  full?: boolean;
  allowDeletes?: boolean;
  json?: boolean;
  server?: string;
  token?: string;
}

/** `sspr admin sync [--full]`: asks the agents for a sync now, waits, prints the counts. */
export function registerAdminSync(admin: Command, io: CliIo): void {
  admin
    .command('sync')
    .description('ask the agents for a directory sync now; waits and prints the counts')
    .option('--full', 'a full sync (deletes what the directory no longer has in scope)')
    .option(
      '--allow-deletes',
      'let this run delete more than sync.maxDeletes users (after SSPR_5104, when intended; audited)',
    )
    .option('--json', 'print the run summary as JSON')
    .option('--server <url>', 'server URL (default SSPR_SERVER or http://127.0.0.1:8080)')
    .option('--token <token>', 'admin token (default SSPR_ADMIN_TOKEN)')
    .action(async (options: SyncOptions) => {
      const conn = adminConnection(options, io);
      const full = options.full === true;
      const stop = startProgress(io, `waiting for the ${full ? 'full' : 'delta'} sync`);
      let summary: SyncSummary;
      try {
        const body = options.allowDeletes === true ? { full, allowDeletes: true } : { full };
        summary = await adminRequest<SyncSummary>(conn, 'POST', '/admin/sync', body);
      } finally {
        stop();
      }
      if (options.json === true) io.out(JSON.stringify(summary, null, 2));
      else for (const line of formatSyncSummary(summary)) io.out(line);
      if (summary.error !== null) {
        throw new CliError(`${summary.error.code}: ${summary.error.message}`);
      }
    });
}
