import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Readable } from 'node:stream';
import { parseCsv } from '../../test/support/csv.js';
import { createStore, type SqlStore } from '../adapters/store/create-store.js';
import type { AuditEvent, AuditEventInput } from '../domain/model/audit-event.js';
import {
  auditCsvColumns,
  auditCsvRow,
  auditExportStream,
  csvCell,
  exportFileName,
} from './audit-export.js';

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

const event = (over: Partial<AuditEvent> = {}): AuditEvent => ({
  id: '0b6f3c1e-0000-4000-8000-000000000001',
  seq: 7,
  occurredAt: '2026-01-15T09:00:00.000Z',
  activity: 'Reset password (self-service)',
  category: 'UserManagement',
  result: 'success',
  resultReason: null,
  correlationId: 'c-1',
  actorId: 'u-1',
  actorUpn: 'ann@contoso.com',
  targetId: 'u-1',
  targetUpn: 'ann@contoso.com',
  ip: '192.0.2.1',
  userAgent: 'Mozilla/5.0',
  details: { methods: ['totp'] },
  ...over,
});

describe('CSV cells', () => {
  it('quotes commas, quotes and line breaks (RFC 4180) and leaves plain text alone', () => {
    expect(csvCell('plain text')).toBe('plain text');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('cr\r\nlf')).toBe('"cr\r\nlf"');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(42)).toBe('42');
    expect(csvCell({ a: 1, b: 'x,y' })).toBe('"{""a"":1,""b"":""x,y""}"');
  });

  it('defuses cells a spreadsheet would run as a formula', () => {
    for (const lead of ['=', '+', '-', '@', '\t', '\r', '\u0000']) {
      const cell = csvCell(`${lead}HYPERLINK("http://evil")`);
      const value = parseCsv(`${cell}\r\n`)[0]?.[0];
      expect(value, JSON.stringify(lead)).toBe(`'${lead}HYPERLINK("http://evil")`);
    }
    expect(csvCell('=1+1')).toBe("'=1+1");
    // Only the first character matters.
    expect(csvCell('a=1')).toBe('a=1');
  });

  it('keeps unicode as UTF-8 text', () => {
    const row = auditCsvRow(
      event({
        actorUpn: 'zoë@contoso.com',
        userAgent: 'Łódź 東京 🔑',
        resultReason: 'naïve, "quoted"',
      }),
    );
    const [cells] = parseCsv(row);
    expect(cells?.[auditCsvColumns.indexOf('actorUpn')]).toBe('zoë@contoso.com');
    expect(cells?.[auditCsvColumns.indexOf('userAgent')]).toBe('Łódź 東京 🔑');
    expect(cells?.[auditCsvColumns.indexOf('resultReason')]).toBe('naïve, "quoted"');
  });

  it('writes one record per event with every column, details as JSON', () => {
    const [cells] = parseCsv(auditCsvRow(event()));
    expect(cells).toHaveLength(auditCsvColumns.length);
    expect(cells?.[auditCsvColumns.indexOf('seq')]).toBe('7');
    expect(cells?.[auditCsvColumns.indexOf('resultReason')]).toBe('');
    expect(JSON.parse(cells?.[auditCsvColumns.indexOf('details')] ?? '')).toEqual({
      methods: ['totp'],
    });
  });

  it('names the file with the UTC time', () => {
    expect(exportFileName('csv', new Date('2026-03-04T05:06:07.890Z'))).toBe(
      'sspr-audit-20260304-050607.csv',
    );
    expect(exportFileName('json', new Date('2026-12-31T23:59:59Z'))).toBe(
      'sspr-audit-20261231-235959.json',
    );
  });
});

describe('auditExportStream over a real store', () => {
  let store: SqlStore;
  beforeEach(async () => {
    store = await createStore({ url: 'sqlite::memory:' });
    await store.migrate();
  });
  afterEach(async () => {
    await store.close();
  });

  let next = 0;
  const append = async (n: number, over: Partial<AuditEventInput> = {}) => {
    for (let k = 0; k < n; k++) {
      const i = next++;
      const e = event();
      await store.audit.append({
        ...e,
        id: `id-${String(i)}`,
        occurredAt: new Date(Date.parse('2026-01-15T09:00:00Z') + i * 1000).toISOString(),
        correlationId: `c-${String(i)}`,
        ...over,
      });
    }
  };

  it('answers the header only, or [], when nothing matches', async () => {
    const csv = await readAll(await auditExportStream(store, {}, 'csv'));
    expect(csv).toBe(`${auditCsvColumns.join(',')}\r\n`);
    const json = await readAll(await auditExportStream(store, {}, 'json'));
    expect(JSON.parse(json)).toEqual([]);
  });

  it('pages through every event, newest first, with filters, in both formats', async () => {
    await append(23);
    await append(4, { result: 'failure', activity: 'Change password (self-service)' });
    const csv = parseCsv(await readAll(await auditExportStream(store, {}, 'csv', 5)));
    expect(csv[0]).toEqual([...auditCsvColumns]);
    expect(csv).toHaveLength(1 + 27);
    const seqs = csv.slice(1).map((r) => Number(r[1]));
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(27);

    const json = JSON.parse(
      await readAll(await auditExportStream(store, { result: 'failure' }, 'json', 3)),
    ) as AuditEvent[];
    expect(json).toHaveLength(4);
    expect(json.every((e) => e.activity === 'Change password (self-service)')).toBe(true);
    // The same objects GET /admin/audit returns.
    const page = await store.audit.query({ result: 'failure', limit: 10 });
    expect(json).toEqual(JSON.parse(JSON.stringify(page.items)));
  });
});
