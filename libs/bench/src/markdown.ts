export type Cell = string | number | undefined;

/** A GitHub-flavoured Markdown table; numbers are grouped (12,345), undefined renders as "–". */
export function markdownTable(header: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = (cell: Cell) =>
    cell === undefined || (typeof cell === 'number' && Number.isNaN(cell))
      ? '–'
      : typeof cell === 'number'
        ? cell.toLocaleString('en-US', { maximumFractionDigits: 2 })
        : cell.replace(/\|/g, '\\|');
  const lines = [header, header.map(() => '---'), ...rows.map((row) => header.map((_, i) => text(row[i])))];
  return lines.map((cells) => `| ${cells.join(' | ')} |`).join('\n');
}
