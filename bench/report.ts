import os from 'node:os';

/** Plain-text output helpers: aligned tables, number formats, the machine line. */

export type Align = 'left' | 'right';

export interface Column {
  readonly header: string;
  readonly align?: Align;
}

/** An aligned plain-text table: header, a rule, then the rows (numbers right-aligned by default). */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
): string {
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        return columns[i]?.align === 'left' ? cell.padEnd(width) : cell.padStart(width);
      })
      .join('  ')
      .trimEnd();
  return [
    line(columns.map((c) => c.header)),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
  ].join('\n');
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 12,345 */
export const int = (value: number): string => grouped.format(Math.round(value));

/** Fixed decimals. */
export const fixed = (value: number, digits: number): string =>
  Number.isFinite(value) ? value.toFixed(digits) : '–';

/** Milliseconds with a precision that suits their size. */
export const ms = (value: number): string =>
  Number.isFinite(value) ? (value >= 100 ? value.toFixed(0) : value.toFixed(1)) : '–';

/** "CPU model, N cores, X GiB RAM, Node vX, linux 6.x" */
export function machineLine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  const memory = (os.totalmem() / 1024 ** 3).toFixed(1);
  return `${model}, ${cpus.length} cores, ${memory} GiB RAM, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/** Progress for long phases, on stderr so stdout keeps only the results. */
export function progress(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Items grouped by a key, with a count, most frequent first; at most `limit` groups. */
export function countGroups<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  limit: number,
): { readonly item: T; readonly count: number }[] {
  const groups = new Map<string, { item: T; count: number }>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { item, count: 1 });
    else group.count++;
  }
  return [...groups.values()].sort((a, b) => b.count - a.count).slice(0, limit);
}
