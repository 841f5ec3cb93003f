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

  describe('allocate', () => {
    it('gives the remainder to the last part', () => {
      expect(Money.parse('100.00').allocate(3).map(String)).toEqual(['33.33', '33.33', '33.34']);
      const lessons = Money.parse('11111.11').allocate(48);
      expect(lessons[0].toString()).toBe('231.48');
      expect(lessons[47].toString()).toBe('231.55');
      expect(Money.sum(lessons).toString()).toBe('11111.11');
      expect(Money.parse('0.01').allocate(3).map(String)).toEqual(['0.00', '0.00', '0.01']);
    });

    it('splits 30/30/40 tranches exactly', () => {
      expect(Money.parse('999.99').allocateByRatios([30, 30, 40]).map(String)).toEqual(['299.99', '299.99', '400.01']);
    });

    it('always adds up exactly (property)', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.integer({ min: 1, max: 120 }), (fen, n) => {
          const total = Money.fromMinor(fen);
          const parts = total.allocate(n);
          expect(parts).toHaveLength(n);
          expect(Money.sum(parts).eq(total)).toBe(true);
          // All but the last part are equal and never exceed the last one by a cent.
          for (const p of parts.slice(0, -1)) {
            expect(p.eq(parts[0])).toBe(true);
            expect(p.isNegative()).toBe(false);
          }
          expect(parts[n - 1].minus(parts[0]).toMinor()).toBeLessThan(BigInt(n));
        }),
        { numRuns: 500 },
      );
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
