import Decimal from 'decimal.js';
import { DomainError } from '../errors/domain-error';
import { AmountRules, checkAmount } from './amount-format';
import { DEFAULT_CURRENCY, minorUnits } from './currency';

// Enough precision for numeric(18,2) sums of sums; never rounding silently.
const D = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN, toExpNeg: -40, toExpPos: 40 });
type Dec = InstanceType<typeof D>;

/**
 * An exact amount in one currency, over decimal.js. Created from strings like "1234.56"
 * (never from JS numbers), with no more decimals than the currency's minor units.
 */
export class Money {
  private constructor(
    private readonly value: Dec,
    readonly currency: string,
  ) {}

  /**
   * Parses an API amount in the one format of `checkAmount`: anything else is `400
   * INVALID_AMOUNT` naming the field. Negative amounts only where `rules.signed` says so.
   */
  static parse(input: unknown, currency: string = DEFAULT_CURRENCY, field = 'amount', rules: Omit<AmountRules, 'currency'> = {}): Money {
    const problem = checkAmount(input, field, { ...rules, currency });
    if (problem) throw new DomainError('INVALID_AMOUNT', problem.message, problem.details);
    return new Money(new D(input as string), currency);
  }

  /** Trusted values from the database (numeric comes back as a string). */
  static fromDb(value: string, currency: string = DEFAULT_CURRENCY): Money {
    return new Money(new D(value), currency);
  }

  static zero(currency: string = DEFAULT_CURRENCY): Money {
    return new Money(new D(0), currency);
  }

  static fromMinor(minor: bigint | string, currency: string = DEFAULT_CURRENCY): Money {
    return new Money(new D(minor.toString()).div(new D(10).pow(minorUnits(currency))), currency);
  }

  /** Integer minor units (fen for CNY). */
  toMinor(): bigint {
    return BigInt(this.value.mul(new D(10).pow(minorUnits(this.currency))).toFixed(0));
  }

  private same(other: Money): void {
    if (other.currency !== this.currency) {
      throw new DomainError('CURRENCY_MISMATCH', `Cannot combine ${this.currency} and ${other.currency}`, { left: this.currency, right: other.currency });
    }
  }

  plus(other: Money): Money {
    this.same(other);
    return new Money(this.value.plus(other.value), this.currency);
  }

  minus(other: Money): Money {
    this.same(other);
    return new Money(this.value.minus(other.value), this.currency);
  }

  negate(): Money {
    return new Money(this.value.neg(), this.currency);
  }

  cmp(other: Money): number {
    this.same(other);
    return this.value.cmp(other.value);
  }

  eq(other: Money): boolean {
    return this.currency === other.currency && this.value.eq(other.value);
  }

  gt(other: Money): boolean {
    return this.cmp(other) > 0;
  }

  lt(other: Money): boolean {
    return this.cmp(other) < 0;
  }

  isZero(): boolean {
    return this.value.isZero();
  }

  isNegative(): boolean {
    return this.value.isNeg() && !this.value.isZero();
  }

  isPositive(): boolean {
    return this.value.gt(0);
  }

  /** Fixed to the currency's minor units: "1234.50". This is the API and database form. */
  toString(): string {
    return this.value.toFixed(minorUnits(this.currency));
  }

  toJSON(): string {
    return this.toString();
  }

  /**
   * Splits by ratios (decimal strings or integers, e.g. 30/30/40). Each part but the last is
   * total × ratio / sum, rounded toward zero to the minor unit; the last part takes the
   * remainder, so the parts always add up to the total exactly.
   */
  allocateByRatios(ratios: (string | number)[]): Money[] {
    if (ratios.length === 0) throw new Error('allocate needs at least one ratio');
    const rs = ratios.map((r) => new D(String(r)));
    if (rs.some((r) => r.isNeg())) throw new Error('ratios must not be negative');
    const sum = rs.reduce((a, b) => a.plus(b), new D(0));
    if (sum.isZero()) throw new Error('ratios must not all be zero');
    const units = minorUnits(this.currency);
    const parts: Money[] = [];
    let allocated = new D(0);
    for (let i = 0; i < rs.length - 1; i++) {
      const part = this.value.mul(rs[i]).div(sum).toDecimalPlaces(units, Decimal.ROUND_DOWN);
      parts.push(new Money(part, this.currency));
      allocated = allocated.plus(part);
    }
    parts.push(new Money(this.value.minus(allocated), this.currency));
    return parts;
  }

  static sum(items: Money[], currency: string = DEFAULT_CURRENCY): Money {
    return items.reduce((acc, m) => acc.plus(m), Money.zero(currency));
  }
}
