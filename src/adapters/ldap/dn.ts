/**
 * Distinguished names (RFC 4514): parsing, comparison and escaping. The directory decides how a
 * DN is spelled (`CN=Alice,OU=Staff,…` vs `cn=alice, ou=staff,…`, `\,` vs `\2C`); scope checks
 * compare the normalised form, never the raw strings.
 */

/** One attribute-value assertion of an RDN: the type lower-cased, the value unescaped. */
export interface Ava {
  readonly type: string;
  readonly value: string;
}

/** An RDN is one or more AVAs joined by `+`. */
export type Rdn = readonly Ava[];

const HEX_PAIR = /^[0-9a-fA-F]{2}$/;

/** Parses a DN into RDNs (leftmost first). Throws on a malformed DN. */
export function parseDn(dn: string): Rdn[] {
  const rdns: Rdn[] = [];
  if (dn.trim() === '') return rdns;
  let i = 0;
  let avas: Ava[] = [];
  const fail = (why: string): never => {
    throw new Error(`malformed DN (${why}) at position ${String(i)}`);
  };
  while (i <= dn.length) {
    // attribute type
    while (dn[i] === ' ') i += 1;
    const typeStart = i;
    while (i < dn.length && dn[i] !== '=') i += 1;
    if (i >= dn.length) fail('missing "="');
    const type = dn.slice(typeStart, i).trim().toLowerCase();
    if (!/^(?:[a-z][a-z0-9-]*|\d+(?:\.\d+)*)$/.test(type)) fail(`bad attribute type "${type}"`);
    i += 1; // '='
    while (dn[i] === ' ') i += 1;
    let value: string;
    if (dn[i] === '#') {
      // BER-encoded value: keep its hex form, lower-cased.
      const start = i;
      i += 1;
      while (i < dn.length && /[0-9a-fA-F]/.test(dn[i] ?? '')) i += 1;
      value = dn.slice(start, i).toLowerCase();
    } else if (dn[i] === '"') {
      // Quoted value (RFC 2253 legacy form).
      i += 1;
      const bytes: number[] = [];
      while (i < dn.length && dn[i] !== '"') {
        if (dn[i] === '\\') {
          i += 1;
          const pair = dn.slice(i, i + 2);
          if (HEX_PAIR.test(pair)) {
            bytes.push(Number.parseInt(pair, 16));
            i += 2;
            continue;
          }
          if (i >= dn.length) fail('dangling escape');
        }
        bytes.push(...Buffer.from(dn[i] ?? '', 'utf8'));
        i += 1;
      }
      if (dn[i] !== '"') fail('unterminated quote');
      i += 1;
      value = Buffer.from(bytes).toString('utf8');
    } else {
      const bytes: number[] = [];
      let trailingSpaces = 0;
      while (i < dn.length && dn[i] !== ',' && dn[i] !== '+' && dn[i] !== ';') {
        const char = dn[i] ?? '';
        if (char === '\\') {
          i += 1;
          const pair = dn.slice(i, i + 2);
          if (HEX_PAIR.test(pair)) {
            bytes.push(Number.parseInt(pair, 16));
            i += 2;
          } else {
            if (i >= dn.length) fail('dangling escape');
            bytes.push(...Buffer.from(dn[i] ?? '', 'utf8'));
            i += 1;
          }
          trailingSpaces = 0;
          continue;
        }
        trailingSpaces = char === ' ' ? trailingSpaces + 1 : 0;
        bytes.push(...Buffer.from(char, 'utf8'));
        i += 1;
      }
      // Unescaped trailing spaces are not part of the value.
      value = Buffer.from(bytes.slice(0, bytes.length - trailingSpaces)).toString('utf8');
    }
    avas.push({ type, value });
    while (dn[i] === ' ') i += 1;
    const separator = dn[i];
    if (separator === '+') {
      i += 1;
      continue;
    }
    rdns.push(avas);
    avas = [];
    if (separator === undefined) break;
    if (separator !== ',' && separator !== ';') fail(`unexpected "${separator}"`);
    i += 1;
  }
  return rdns;
}

/** RFC 4514 escaping of an attribute value, for building a DN from user-supplied text. */
export function escapeDnValue(value: string): string {
  let out = '';
  for (let index = 0; index < value.length; index += 1) {
    const char = value[index] ?? '';
    const code = char.charCodeAt(0);
    if (code === 0) {
      out += '\\00';
    } else if (',+"\\<>;='.includes(char)) {
      out += `\\${char}`;
    } else if (
      (index === 0 && (char === ' ' || char === '#')) ||
      (index === value.length - 1 && char === ' ')
    ) {
      out += `\\${char}`;
    } else if (code < 0x20 || code === 0x7f) {
      out += `\\${code.toString(16).padStart(2, '0')}`;
    } else {
      out += char;
    }
  }
  return out;
}

function rdnKey(rdn: Rdn): string {
  return [...rdn]
    .map((ava) => `${ava.type}=${escapeDnValue(ava.value.toLowerCase())}`)
    .sort()
    .join('+');
}

/** A canonical spelling for comparison: lower-case types and values, one escaping, no spaces. */
export function normalizeDn(dn: string): string {
  return parseDn(dn).map(rdnKey).join(',');
}

/** True when `dn` is `base` or lies below it. A malformed DN is never within anything. */
export function isDnWithin(dn: string, base: string): boolean {
  let d: string[];
  let b: string[];
  try {
    d = parseDn(dn).map(rdnKey);
    b = parseDn(base).map(rdnKey);
  } catch {
    return false;
  }
  if (d.length < b.length) return false;
  const offset = d.length - b.length;
  return b.every((rdn, index) => d[offset + index] === rdn);
}

export function sameDn(a: string, b: string): boolean {
  try {
    return normalizeDn(a) === normalizeDn(b);
  } catch {
    return false;
  }
}

/** The DNS domain spelled by the `dc=` components of a DN (`dc=example,dc=org` → `example.org`). */
export function domainOfDn(dn: string): string | null {
  let rdns: Rdn[];
  try {
    rdns = parseDn(dn);
  } catch {
    return null;
  }
  const labels = rdns
    .filter((rdn) => rdn.length === 1 && rdn[0]?.type === 'dc')
    .map((rdn) => rdn[0]?.value.toLowerCase() ?? '');
  return labels.length > 0 ? labels.join('.') : null;
}

/** The first RDN's value (`CN=sspr-strict,CN=Password Settings…` → `sspr-strict`). */
export function firstRdnValue(dn: string): string {
  try {
    return parseDn(dn)[0]?.[0]?.value ?? dn;
  } catch {
    return dn;
  }
}
