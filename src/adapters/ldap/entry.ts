/**
 * Reading ldapts search entries: attribute names are matched case-insensitively (servers answer
 * with their own spelling), a single value comes back bare and several as an array.
 */
import type { Entry } from 'ldapts';

type Value = Entry[string];

function raw(entry: Entry, name: string): Value | undefined {
  const direct = entry[name];
  if (direct !== undefined) return direct;
  const lower = name.toLowerCase();
  for (const key of Object.keys(entry)) {
    if (key.toLowerCase() === lower) return entry[key];
  }
  return undefined;
}

/** Every value as text (Buffers decoded as UTF-8). */
export function texts(entry: Entry, name: string): string[] {
  const value = raw(entry, name);
  if (value === undefined) return [];
  const list: (string | Buffer)[] = Array.isArray(value) ? value : [value];
  return list.map((item) => (Buffer.isBuffer(item) ? item.toString('utf8') : item));
}

/** The first value as text, or null when absent or empty. */
export function text(entry: Entry, name: string): string | null {
  const first = texts(entry, name)[0];
  return first === undefined || first === '' ? null : first;
}

/** The first value as a Buffer (binary attributes such as objectGUID), or null. */
export function buffer(entry: Entry, name: string): Buffer | null {
  const value = raw(entry, name);
  if (value === undefined) return null;
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return null;
  return Buffer.isBuffer(first) ? first : Buffer.from(first, 'utf8');
}

/** An integer attribute (AD large integers as bigint: 100-ns intervals exceed 2^53). */
export function bigint(entry: Entry, name: string): bigint | null {
  const value = text(entry, name);
  if (value === null || !/^-?\d+$/.test(value.trim())) return null;
  return BigInt(value.trim());
}

export function int(entry: Entry, name: string): number | null {
  const value = bigint(entry, name);
  return value === null ? null : Number(value);
}

export function bool(entry: Entry, name: string): boolean | null {
  const value = text(entry, name);
  if (value === null) return null;
  return value.toUpperCase() === 'TRUE';
}

/** True when the entry carries the attribute at all (even with no values returned). */
export function has(entry: Entry, name: string): boolean {
  return raw(entry, name) !== undefined && texts(entry, name).length > 0;
}

/**
 * LDAP GeneralizedTime (`20261121093000Z`, `20261121093000.0Z`, `20261121093000.123456Z`) →
 * Date, or null when it is not one.
 */
export function parseGeneralizedTime(value: string): Date | null {
  const match = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d+))?(Z|[+-]\d{4})$/.exec(
    value.trim(),
  );
  if (!match) return null;
  const [, y, mo, d, h, mi, s, fraction, zone] = match;
  const millis = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  let time = Date.UTC(
    Number(y),
    Number(mo) - 1,
    Number(d),
    Number(h),
    Number(mi ?? '0'),
    Number(s ?? '0'),
    millis,
  );
  if (zone !== undefined && zone !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const offset = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(3, 5));
    time -= sign * offset * 60_000;
  }
  return Number.isNaN(time) ? null : new Date(time);
}

/** Date → GeneralizedTime in UTC with seconds (`20261121093000Z`), as filters expect it. */
export function formatGeneralizedTime(date: Date): string {
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return (
    pad(date.getUTCFullYear(), 4) +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds()) +
    'Z'
  );
}

/** Windows FILETIME (100-ns ticks since 1601-01-01 UTC) → Date; 0 and "never" → null. */
export function fileTimeToDate(ticks: bigint): Date | null {
  if (ticks <= 0n || ticks >= 0x7fffffffffffffffn) return null;
  const unixMillis = (ticks - 116444736000000000n) / 10000n;
  return new Date(Number(unixMillis));
}
