/** A plain-text table for the terminal; Chinese characters take two columns. */
const cells = (v: string): number => [...String(v)].reduce((w, ch) => w + (ch.charCodeAt(0) >= 0x2e80 ? 2 : 1), 0);

/**
 * The table's lines: a header, a rule, the rows (a rule before the last `footer` rows). Columns
 * listed in `left` are left-aligned, the others (amounts) right-aligned; two spaces between columns.
 */
export function table(cols: string[], rows: string[][], o: { left?: number[]; footer?: number } = {}): string[] {
  const left = new Set(o.left ?? [0]);
  const widths = cols.map((col, c) => Math.max(cells(col), ...rows.map((r) => cells(r[c] ?? ''))));
  const pad = (v: string, c: number) => (left.has(c) ? String(v) + ' '.repeat(widths[c] - cells(v)) : ' '.repeat(widths[c] - cells(v)) + String(v));
  const line = (r: string[]) => cols.map((_, c) => pad(r[c] ?? '', c)).join('  ').trimEnd();
  const rule = '-'.repeat(widths.reduce((a, b) => a + b, 0) + 2 * (cols.length - 1));
  const out = [line(cols), rule];
  rows.forEach((r, k) => {
    if (o.footer && k === rows.length - o.footer) out.push(rule);
    out.push(line(r));
  });
  return out;
}
