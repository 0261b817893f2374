import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Command } from 'commander';
import { adminConnection, CliError, type AdminConnection } from './admin-client.js';
import type { CliIo } from './io.js';

interface ExportOptions {
  format: string;
  since?: string;
  until?: string;
  activity?: string;
  user?: string;
  result?: string;
  out?: string;
  server?: string;
  token?: string;
}

const FORMATS = ['csv', 'json'] as const;
type Format = (typeof FORMATS)[number];

function isoOption(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(value) || isNaN(Date.parse(value)))
    throw new CliError(
      `--${name} must be an ISO date or date-time, e.g. 2026-11-01 or 2026-11-01T08:00:00Z (not "${value}")`,
    );
  // A bare date means its midnight UTC.
  return value.length === 10 ? `${value}T00:00:00Z` : value;
}

function query(options: ExportOptions, format: Format): string {
  const params = new URLSearchParams({ format });
  const from = isoOption('since', options.since);
  const to = isoOption('until', options.until);
  if (from !== undefined) params.set('from', from);
  if (to !== undefined) params.set('to', to);
  if (options.activity !== undefined) params.set('activity', options.activity);
  if (options.user !== undefined) params.set('user', options.user);
  if (options.result !== undefined) params.set('result', options.result);
  return params.toString();
}

/** The attachment name the server chose, else a local one. */
function fileNameOf(disposition: string | null, format: Format): string {
  const match = disposition === null ? null : /filename="([A-Za-z0-9._-]+)"/.exec(disposition);
  return match?.[1] ?? `sspr-audit.${format}`;
}

async function errorOf(response: Response): Promise<CliError> {
  const text = await response.text();
  let error: { code?: string; message?: string; correlationId?: string } | undefined;
  try {
    error = (JSON.parse(text) as { error?: typeof error }).error;
  } catch {
    error = undefined;
  }
  return new CliError(
    `${error?.code ?? `HTTP ${String(response.status)}`}: ${error?.message ?? text.slice(0, 200)} (support code ${error?.correlationId ?? 'none'})`,
  );
}

/** Counts bytes and lines as they pass, for the progress line. */
function counter(onChunk: (bytes: number, lines: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      let lines = 0;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      onChunk(chunk.length, lines);
      done(null, chunk);
    },
  });
}

function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function download(
  conn: AdminConnection,
  options: ExportOptions,
  format: Format,
  io: CliIo,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${conn.server}/api/v1/admin/audit/export?${query(options, format)}`, {
      headers: { authorization: `Bearer ${conn.token}` },
    });
  } catch (error) {
    throw new CliError(
      `cannot reach ${conn.server} (${error instanceof Error ? error.message : String(error)}); is \`sspr serve\` running? Set --server or SSPR_SERVER.`,
    );
  }
  if (!response.ok || response.body === null) throw await errorOf(response);
  const target = resolve(
    io.cwd,
    options.out ?? fileNameOf(response.headers.get('content-disposition'), format),
  );
  // Written next to the target and renamed at the end: a failed export leaves no partial file.
  const partial = `${target}.${randomBytes(4).toString('hex')}.partial`;
  let bytes = 0;
  let lines = 0;
  const started = Date.now();
  const line = () =>
    `exporting audit events … ${format === 'csv' ? `${String(Math.max(0, lines - 1))} rows, ` : ''}${mib(bytes)}, ${String(Math.round((Date.now() - started) / 1000))} s`;
  const tty = io.errTty;
  const timer =
    tty === undefined
      ? undefined
      : setInterval(() => {
          tty.write(`\r\u001b[2K${line()}`);
        }, 500);
  if (tty === undefined) io.err('exporting audit events …');
  try {
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      counter((b, l) => {
        bytes += b;
        lines += l;
      }),
      createWriteStream(partial, { mode: 0o600 }),
    );
    await rename(partial, target);
  } catch (error) {
    await rm(partial, { force: true });
    throw new CliError(
      `the export stopped after ${mib(bytes)} (${error instanceof Error ? error.message : String(error)}); nothing was written to ${target}. Run the command again.`,
    );
  } finally {
    if (timer !== undefined) clearInterval(timer);
    tty?.write('\r\u001b[2K');
  }
  const rows = format === 'csv' ? ` ${String(Math.max(0, lines - 1))} events,` : '';
  io.err(
    `exported${rows} ${mib(bytes)} in ${String(Math.round((Date.now() - started) / 100) / 10)} s`,
  );
  io.out(target);
}

/** `sspr admin audit export --format csv|json [--since ISO] [--out FILE]` over the admin API. */
export function registerAdminAuditExport(admin: Command, io: CliIo): void {
  const audit = admin.command('audit').description('the audit log (admin API)');
  audit
    .command('export')
    .description(
      'download every matching audit event (newest first) as CSV or JSON; prints the file path',
    )
    .requiredOption('--format <format>', 'csv or json')
    .option('--since <iso>', 'only events at or after this date / date-time')
    .option('--until <iso>', 'only events at or before this date / date-time')
    .option('--activity <name>', 'only this activity, e.g. "Reset password (self-service)"')
    .option('--user <upn>', 'only events about this user (UPN or id)')
    .option('--result <result>', 'success or failure')
    .option('--out <file>', 'where to write (default: the server’s file name in this directory)')
    .option('--server <url>', 'server URL (default SSPR_SERVER or http://127.0.0.1:8080)')
    .option('--token <token>', 'admin token (default SSPR_ADMIN_TOKEN)')
    .action(async (options: ExportOptions) => {
      const format = FORMATS.find((f) => f === options.format);
      if (format === undefined)
        throw new CliError(`--format must be csv or json, not "${options.format}"`);
      await download(adminConnection(options, io), options, format, io);
    });
}
