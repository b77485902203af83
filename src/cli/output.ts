/** How commands print: one JSON array for machines (`--json`), an aligned table for people. */

export type Column<T> = [header: string, value: (row: T) => unknown];

/** Widest cell of a table; longer values (a 60,000-character method name) end in "…". `--json` prints them whole. */
export const MAX_CELL_CHARS = 80;

/** One line of at most MAX_CELL_CHARS: control characters (newlines, terminal escapes) shown as spaces. */
function cell(value: unknown): string {
  if (value === null || value === undefined) return '-';
  const text = String(value).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ');
  return text.length > MAX_CELL_CHARS ? `${text.slice(0, MAX_CELL_CHARS - 1)}…` : text;
}

export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = [columns.map(([header]) => header), ...rows.map((row) => columns.map(([, value]) => cell(value(row))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells
    .map((line) =>
      line
        .map((text, i) => text.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function print<T>(rows: readonly T[], json: boolean, columns: readonly Column<T>[], empty: string): void {
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else process.stdout.write(`${rows.length === 0 ? empty : table(rows, columns)}\n`);
}
