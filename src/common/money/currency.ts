/** ISO 4217 currencies we accept, with their minor units. CNY is the default everywhere. */
export const CURRENCY_MINOR_UNITS: Record<string, number> = {
  CNY: 2,
  HKD: 2,
  USD: 2,
  EUR: 2,
  CHF: 2,
  GBP: 2,
  SGD: 2,
  AUD: 2,
  JPY: 0,
  KRW: 0,
};

export const DEFAULT_CURRENCY = 'CNY';

export function isKnownCurrency(code: string): boolean {
  return Object.prototype.hasOwnProperty.call(CURRENCY_MINOR_UNITS, code);
}

export function minorUnits(code: string): number {
  const units = CURRENCY_MINOR_UNITS[code];
  if (units === undefined) throw new Error(`Unknown currency ${code}`);
  return units;
}
