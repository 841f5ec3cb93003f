import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { checkAmount } from '@common/money/amount-format';
import { minorUnits } from '@common/money/currency';
import { IsAmount } from '@common/money/is-amount.decorator';
import { Money } from '@common/money/money';

// Edges of Money and the amount format that money.spec.ts and amount-format.spec.ts leave open
// (found by mutation testing, `npm run test:mutation`).
const m = (s: string, currency = 'CNY') => Money.parse(s, currency);

describe('Money comparisons and signs', () => {
  it('eq needs the same currency and the same value', () => {
    expect(m('1').eq(m('1.00'))).toBe(true);
    expect(m('1').eq(m('1', 'USD'))).toBe(false);
    expect(m('1').eq(m('2'))).toBe(false);
  });

  it('lt and gt are strict', () => {
    expect(m('1').lt(m('2'))).toBe(true);
    expect(m('2').lt(m('1'))).toBe(false);
    expect(m('1').lt(m('1'))).toBe(false);
    expect(m('1').gt(m('1'))).toBe(false);
    expect(() => m('1').lt(m('2', 'USD'))).toThrow(expect.objectContaining({ code: 'CURRENCY_MISMATCH' }));
  });

  it('isNegative, isPositive and negate', () => {
    const minus = Money.parse('-0.01', 'CNY', 'adjustment', { signed: true });
    expect([minus.isNegative(), minus.isPositive()]).toEqual([true, false]);
    expect([m('0.01').isNegative(), m('0.01').isPositive()]).toEqual([false, true]);
    expect([m('0').isNegative(), m('0').isPositive()]).toEqual([false, false]);
    expect(m('0').negate().isNegative()).toBe(false); // -0 is not negative
    expect(m('12.30').negate().toString()).toBe('-12.30');
    expect(minus.negate().eq(m('0.01'))).toBe(true);
    expect(m('5', 'USD').negate().currency).toBe('USD');
  });

  it('serialises to JSON as its decimal string', () => {
    expect(JSON.stringify({ amount: m('1234.5') })).toBe('{"amount":"1234.50"}');
    expect(JSON.stringify(m('100', 'JPY'))).toBe('"100"');
  });

  it('a currency mismatch names both currencies', () => {
    expect(() => m('1').plus(m('1', 'USD'))).toThrow(
      expect.objectContaining({ code: 'CURRENCY_MISMATCH', message: 'Cannot combine CNY and USD', details: { left: 'CNY', right: 'USD' } }),
    );
  });

  it('Money.parse names the field "amount" unless told otherwise', () => {
    expect(() => Money.parse('x')).toThrow(expect.objectContaining({ message: expect.stringMatching(/^amount /), details: expect.objectContaining({ field: 'amount' }) }));
  });
});

describe('allocateByRatios at the edges', () => {
  it('refuses no ratios, a negative ratio and all-zero ratios', () => {
    expect(() => m('10').allocateByRatios([])).toThrow('allocate needs at least one ratio');
    expect(() => m('10').allocateByRatios([1, -1, 2])).toThrow('ratios must not be negative');
    expect(() => m('10').allocateByRatios(['0', '0.00'])).toThrow('ratios must not all be zero');
    expect(m('10').allocateByRatios([0, 1]).map(String)).toEqual(['0.00', '10.00']);
  });

  it('is exact for the largest amounts (no rounding before the cut to the minor unit)', () => {
    // 9,999,999,999,999,999.99 × 103 / 150 = 6,866,666,666,666,666.6566…: 20 significant digits would round it up to …66.66.
    expect(m('9999999999999999.99').allocateByRatios([103, 47]).map(String)).toEqual(['6866666666666666.65', '3133333333333333.34']);
    expect(m('9999999999999999.99').allocateByRatios([106, 5]).map(String)).toEqual(['9549549549549549.54', '450450450450450.45']);
  });
});

describe('currencies and the amount format details', () => {
  it('minorUnits refuses an unknown currency', () => {
    expect(minorUnits('JPY')).toBe(0);
    expect(() => minorUnits('XXX')).toThrow('Unknown currency XXX');
  });

  it('every refusal carries the field and the offending value (cut to 40 characters)', () => {
    expect(checkAmount('1', 'price', { currency: 'XXX' })?.details).toEqual({ field: 'price', currency: 'XXX' });
    expect(checkAmount('1e3', 'price')?.details).toEqual({ field: 'price', value: '1e3' });
    expect(checkAmount('1.234', 'price')?.details).toEqual({ field: 'price', value: '1.234', currency: 'CNY' });
    expect(checkAmount('10000000000000000', 'price')?.details).toEqual({ field: 'price', value: '10000000000000000' });
    expect(checkAmount('-1', 'price')?.details).toEqual({ field: 'price', value: '-1' });
    expect(checkAmount('0.00', 'price', { positive: true })?.details).toEqual({ field: 'price', value: '0.00' });
    const long = '1'.repeat(30) + 'x'.repeat(30);
    expect(checkAmount(long, 'price')?.details).toEqual({ field: 'price', value: long.slice(0, 40) });
  });
});

class Priced {
  currency?: unknown;
  @IsAmount({ currencyField: 'currency' }) price: string;
}

const problems = (plain: object) => validateSync(plainToInstance(Priced, plain)).map((e) => Object.values(e.constraints ?? {}).join('; '));

describe('@IsAmount with a currency field that is not a known currency code', () => {
  it('reads the amount as CNY (the currency field reports its own violation)', () => {
    expect(problems({ currency: 'XXX', price: '100.00' })).toEqual([]);
    expect(problems({ currency: 'XXX', price: '100.001' })).toEqual(['price must have at most 2 decimals in CNY']);
    // Not a string at all, even one that looks up as a currency: CNY.
    expect(problems({ currency: ['JPY'], price: '100.50' })).toEqual([]);
    expect(problems({ currency: 'JPY', price: '100.50' })).toEqual(['price must be a whole number of JPY']);
  });
});
