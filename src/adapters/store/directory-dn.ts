/**
 * A distinguished name normalised for lookups: RDNs split at unescaped commas, attribute type and
 * value trimmed and lower-cased. Directories compare DNs case-insensitively, and a group's
 * `member` value need not be spelled exactly like the member's own DN (`OU=Staff, DC=…` vs
 * `ou=staff,dc=…`), so members are resolved through this key, never through the raw DN.
 */
export function directoryDnKey(dn: string): string {
  return dn
    .split(/(?<!\\),/)
    .map((rdn) =>
      rdn
        .split(/(?<!\\)\+/)
        .map((ava) => {
          const eq = ava.indexOf('=');
          const type = eq < 0 ? ava : ava.slice(0, eq);
          const value = eq < 0 ? '' : ava.slice(eq + 1);
          return `${type.trim()}=${value.trim()}`.toLowerCase();
        })
        .sort()
        .join('+'),
    )
    .join(',');
}
