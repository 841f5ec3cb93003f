import { toCsv } from './csv';

export function downloadCsv(filename: string, header: string[], rows: (string | number | null | undefined)[][]): void {
  // A byte order mark so that spreadsheet programs read the Chinese text as UTF-8.
  const blob = new Blob(['\ufeff' + toCsv(header, rows)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
