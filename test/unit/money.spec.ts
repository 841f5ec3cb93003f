import fc from 'fast-check';
import { Money } from '@common/money/money';

describe('Money', () => {
  it.each(['0', '1', '1234.56', '0.01', '9999999999999999.99'])('parses %s', (s) => {
    expect(Money.parse(s).eq(Money.fromDb(s))).toBe(true);
  });

  it('parses a negative amount only for a signed field', () => {
    expect(Money.parse('-5.5', 'CNY', 'adjustment', { signed: true }).toString()).toBe('-5.50');
    expect(() => Money.parse('-5.5')).toThrow(expect.objectContaining({ code: 'INVALID_AMOUNT' }));
  });

  it.each([
    ['1.234', 'more decimals than CNY has'],
    ['1e3', 'exponent'],
    ['NaN', 'NaN'],
    ['', 'empty'],
    [' 1.00', 'spaces'],
    ['01.00', 'leading zero'],
    ['1,00', 'decimal comma'],
    ['Infinity', 'infinity'],
    ['10000000000000000.00', 'beyond numeric(18,2)'],
    [12.5, 'a JSON number'],
    [null, 'null'],
  ] as [unknown, string][])('refuses %p (%s) with INVALID_AMOUNT', (input) => {
    expect(() => Money.parse(input)).toThrow(expect.objectContaining({ code: 'INVALID_AMOUNT' }));
  });

  it('knows minor units per currency', () => {
    expect(Money.parse('100', 'JPY').toString()).toBe('100');
    expect(() => Money.parse('100.5', 'JPY')).toThrow();
    expect(Money.parse('1.5', 'CNY').toString()).toBe('1.50');
    expect(() => Money.parse('1', 'XXX')).toThrow(expect.objectContaining({ code: 'INVALID_AMOUNT' }));
  });

  it('is exact where floats are not', () => {
    expect(Money.parse('0.1').plus(Money.parse('0.2')).toString()).toBe('0.30');
    expect(Money.parse('1234567890123456.78').plus(Money.parse('0.01')).toString()).toBe('1234567890123456.79');
    expect(Money.parse('0.30').toMinor()).toBe(30n);
  });

  it('refuses to mix currencies', () => {
    expect(() => Money.parse('1', 'CNY').plus(Money.parse('1', 'USD'))).toThrow(expect.objectContaining({ code: 'CURRENCY_MISMATCH' }));
  });

  // Equal parts (lessons) follow the one remainder rule, lessonAmount (test/unit/lesson-amount.spec.ts).
  describe('allocateByRatios', () => {
    it('splits 30/30/40 tranches exactly', () => {
      expect(Money.parse('999.99').allocateByRatios([30, 30, 40]).map(String)).toEqual(['299.99', '299.99', '400.01']);
    });

    it('by ratios always adds up exactly (property)', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 1, maxLength: 20 }), (fen, ratios) => {
          fc.pre(ratios.some((r) => r > 0));
          const total = Money.fromMinor(fen);
          expect(Money.sum(total.allocateByRatios(ratios)).eq(total)).toBe(true);
        }),
        { numRuns: 500 },
      );
    });
  });
});
