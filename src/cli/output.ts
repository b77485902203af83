/** How commands print: one JSON array for machines (`--json`), an aligned table for people. */

export type Column<T> = [header: string, value: (row: T) => unknown];

const cell = (value: unknown): string => (value === null || value === undefined ? '-' : String(value));

export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = [columns.map(([header]) => header), ...rows.map((row) => columns.map(([, value]) => cell(value(row))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells.map((line) => line.map((text, i) => text.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export function print<T>(rows: readonly T[], json: boolean, columns: readonly Column<T>[], empty: string): void {
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else process.stdout.write(`${rows.length === 0 ? empty : table(rows, columns)}\n`);
}
