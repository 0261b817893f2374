/**
 * Mechanics shared by the docs kept in sync with code (docs/config.md, docs/errors.md): a markdown
 * table, and the section between two marker comments that a test compares and a script rewrites.
 */
export const code = (text: string): string => `\`${text}\``;

/** A table cell: pipes escaped, line breaks folded. */
export const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  return [header, header.map(() => '---'), ...rows.map((row) => row.map(cell))]
    .map((row) => `| ${row.join(' | ')} |`)
    .join('\n');
}

export interface GeneratedSection {
  /** The text between the markers, or undefined when they are missing or out of order. */
  extract(markdown: string): string | undefined;
  /** `markdown` with the text between the markers replaced by `body`. */
  replace(markdown: string, body: string): string;
}

export function generatedSection(file: string, start: string, end: string): GeneratedSection {
  const extract = (markdown: string): string | undefined => {
    const from = markdown.indexOf(start);
    const to = markdown.indexOf(end);
    if (from < 0 || to < from) return undefined;
    return markdown.slice(from + start.length, to);
  };
  return {
    extract,
    replace(markdown, body) {
      const current = extract(markdown);
      if (current === undefined) {
        throw new Error(`${file} must contain ${start} and ${end}, in that order`);
      }
      const from = markdown.indexOf(start) + start.length;
      return markdown.slice(0, from) + body + markdown.slice(from + current.length);
    },
  };
}
