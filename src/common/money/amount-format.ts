import { DEFAULT_CURRENCY, isKnownCurrency, minorUnits } from './currency';

/** What a field accepts. By default: not negative, zero allowed, at most the currency's minor units. */
export interface AmountRules {
  /** ISO 4217 code deciding the decimals; CNY when absent. */
  currency?: string;
  /** The field carries a direction (an adjustment): a leading minus is allowed. */
  signed?: boolean;
  /** Zero is wrong here (a price, a payment): refuse it. */
  positive?: boolean;
}

export interface AmountProblem {
  field: string;
  message: string;
  details: Record<string, unknown>;
}

const SHAPE = /^(-?)(0|[1-9]\d*)(?:\.(\d+))?$/;
/** numeric(18,2) holds 16 digits before the point. */
const MAX_INTEGER_DIGITS = 16;

/**
 * The one API amount format, shared by `@IsAmount` (request validation) and `Money.parse`:
 * a decimal string ("1234.56"; never a JSON number, exponent, comma or padded), with no more
 * decimals than the currency has, not negative unless the field is signed, not zero when the
 * field must be positive, and within numeric(18,2). Returns null when fine, else what is
 * wrong, naming the field.
 */
export function checkAmount(input: unknown, field: string, rules: AmountRules = {}): AmountProblem | null {
  const currency = rules.currency ?? DEFAULT_CURRENCY;
  const problem = (message: string, details: Record<string, unknown> = {}): AmountProblem => ({ field, message: `${field} ${message}`, details: { field, ...details } });
  if (!isKnownCurrency(currency)) return problem(`is in an unknown currency ${currency}`, { currency });
  if (typeof input !== 'string') {
    return problem(`must be a decimal string such as "1234.56", not ${input === null ? 'null' : `a ${typeof input}`}`);
  }
  const value = input.slice(0, 40);
  const match = SHAPE.exec(input);
  if (!match) return problem('must be a decimal string such as "1234.56"', { value });
  const [, minus, integer, decimals = ''] = match;
  const units = minorUnits(currency);
  if (decimals.length > units) {
    return problem(units === 0 ? `must be a whole number of ${currency}` : `must have at most ${units} decimals in ${currency}`, { value, currency });
  }
  if (integer.length > MAX_INTEGER_DIGITS) return problem('is too large', { value });
  if (minus && !rules.signed) return problem('must not be negative', { value });
  if (rules.positive && integer === '0' && /^0*$/.test(decimals)) return problem('must be more than zero', { value });
  return null;
}
