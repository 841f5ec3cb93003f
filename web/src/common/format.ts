// Amounts arrive as exact decimal strings ("1234567.80"); they are formatted as strings, never
// through a JS number, so no cent is ever rounded away.

/** "1234567.8" → "1,234,567.80" (minor units padded to `decimals`), "-0.5" → "-0.50". Anything else is shown as it is. */
export function formatAmount(value: string | null | undefined, decimals = 2): string {
  if (value === null || value === undefined || value === '') return '–';
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(value.trim());
  if (!m) return value;
  const [, sign, int, frac = ''] = m;
  const grouped = int.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  const f = decimals > 0 ? '.' + (frac + '0'.repeat(decimals)).slice(0, Math.max(decimals, frac.length)) : frac ? '.' + frac : '';
  return `${sign}${grouped}${f}`;
}

/** Minor units of a currency (JPY none). */
export const currencyDecimals = (currency: string | undefined) => (currency === 'JPY' || currency === 'KRW' ? 0 : 2);

export const money = (value: string | null | undefined, currency = 'CNY') => `${formatAmount(value, currencyDecimals(currency))}`;

/** Compares two decimal strings exactly (for sorting): -1, 0, 1. */
export function compareDecimal(a: string, b: string): number {
  const parse = (s: string) => {
    const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(s) ?? ['', '', '0', ''];
    return { neg: m[1] === '-', int: m[2].replace(/^0+(?=\d)/, ''), frac: m[3] ?? '' };
  };
  const x = parse(a);
  const y = parse(b);
  if (x.neg !== y.neg) return x.neg ? -1 : 1;
  const sign = x.neg ? -1 : 1;
  if (x.int.length !== y.int.length) return (x.int.length < y.int.length ? -1 : 1) * sign;
  const len = Math.max(x.frac.length, y.frac.length);
  const xs = x.int + x.frac.padEnd(len, '0');
  const ys = y.int + y.frac.padEnd(len, '0');
  return xs === ys ? 0 : (xs < ys ? -1 : 1) * sign;
}

const CHINA_DATE_TIME = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
});

/** A timestamp in China time ("2026/12/05 09:00"), whatever the browser's own zone. Plain dates (YYYY-MM-DD) are shown as they are. */
export function formatDateTime(value: string | null | undefined): string {
  if (!value) return '–';
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? value : CHINA_DATE_TIME.format(d);
}
