import { Readable } from 'node:stream';
import type { AuditEvent } from '../domain/model/audit-event.js';
import type { AuditQuery, Store } from '../domain/ports/store.js';

/** Audit export (P9): every matching event, newest first, streamed page by page as CSV or JSON. */

export type AuditExportFormat = 'csv' | 'json';

/** Events read from the store per query; memory stays flat whatever the number of rows. */
export const EXPORT_PAGE_SIZE = 1000;

/** The CSV columns, in order; `details` is the event's details as JSON text. */
export const auditCsvColumns = [
  'id',
  'seq',
  'occurredAt',
  'activity',
  'category',
  'result',
  'resultReason',
  'correlationId',
  'actorId',
  'actorUpn',
  'targetId',
  'targetUpn',
  'ip',
  'userAgent',
  'details',
] as const satisfies readonly (keyof AuditEvent)[];

/** First characters a spreadsheet may read as the start of a formula (OWASP, ASVS 5.0 V1.2.10). */
const FORMULA_LEAD = new Set(['=', '+', '-', '@', '\t', '\r', '\u0000']);

/**
 * One CSV cell (RFC 4180). A cell a spreadsheet would run as a formula (starting with = + - @,
 * tab, carriage return or NUL) is prefixed with an apostrophe (OWASP "CSV injection").
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA_LEAD.has(text.charAt(0))) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record with its CRLF line break. */
export function csvRow(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

export function auditCsvRow(event: AuditEvent): string {
  return csvRow(auditCsvColumns.map((c) => event[c]));
}

/** The objects GET /admin/audit returns in `items`, as JSON text. */
export function auditJson(event: AuditEvent): string {
  return JSON.stringify(event);
}

export function exportContentType(format: AuditExportFormat): string {
  return format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8';
}

/** sspr-audit-<UTC yyyymmdd-hhmmss>.csv|json */
export function exportFileName(format: AuditExportFormat, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d+Z$/, '')
    .replaceAll('-', '')
    .replaceAll(':', '')
    .replace('T', '-');
  return `sspr-audit-${stamp}.${format}`;
}

/** Pages through the store with the audit cursor query, newest first, one page in memory at a time. */
export async function* auditEvents(
  store: Store,
  filters: Omit<AuditQuery, 'cursor' | 'limit'>,
  pageSize = EXPORT_PAGE_SIZE,
): AsyncGenerator<readonly AuditEvent[]> {
  let cursor: string | undefined;
  do {
    const page = await store.audit.query({
      ...filters,
      limit: pageSize,
      ...(cursor === undefined ? {} : { cursor }),
    });
    if (page.items.length > 0) yield page.items;
    cursor = page.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

/**
 * The export as a Readable stream of text chunks (one per page), pulled as the client reads, so
 * a slow reader slows the store queries instead of filling memory. The first page is read before
 * the stream is returned, so a store failure can still be answered as an error.
 */
export async function auditExportStream(
  store: Store,
  filters: Omit<AuditQuery, 'cursor' | 'limit'>,
  format: AuditExportFormat,
  pageSize = EXPORT_PAGE_SIZE,
): Promise<Readable> {
  const pages = auditEvents(store, filters, pageSize);
  const first = await pages.next();
  async function* chunks(): AsyncGenerator<string> {
    let count = 0;
    const render = (events: readonly AuditEvent[]): string => {
      if (format === 'csv') return events.map(auditCsvRow).join('');
      const text = events.map((e, i) => `${count + i === 0 ? '\n' : ',\n'}${auditJson(e)}`);
      count += events.length;
      return text.join('');
    };
    yield format === 'csv' ? csvRow(auditCsvColumns) : '[';
    if (first.done !== true) {
      yield render(first.value);
      for await (const page of pages) yield render(page);
    }
    if (format === 'json') yield count === 0 ? ']' : '\n]\n';
  }
  return Readable.from(chunks(), { objectMode: false });
}
