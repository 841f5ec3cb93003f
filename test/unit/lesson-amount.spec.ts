import fc from 'fast-check';
import { Money } from '@common/money/money';
import { lessonAllocation, lessonAmount } from '@modules/contracts/contract-rules';

/** Consumes every lesson of a contract in order and returns their amounts. */
function consumeAll(total: Money, lessons: number): Money[] {
  const out: Money[] = [];
  let consumed = Money.zero(total.currency);
  for (let i = 0; i < lessons; i++) {
    const a = lessonAmount(total, lessons, i, consumed);
    out.push(a);
    consumed = consumed.plus(a);
  }
  return out;
}

describe('the remainder rule (lessonAmount)', () => {
  it('48 lessons for 11,111.11: 47 × 231.48 and the last 231.55', () => {
    const parts = consumeAll(Money.parse('11111.11'), 48).map(String);
    expect(parts.slice(0, 47)).toEqual(Array(47).fill('231.48'));
    expect(parts[47]).toBe('231.55');
    expect(lessonAllocation(Money.parse('11111.11'), 48)).toEqual({ count: 48, regular: '231.48', last: '231.55' });
  });

  it('100.00 in three: 33.33, 33.33, 33.34; one lesson takes everything; JPY has no minor units', () => {
    expect(consumeAll(Money.parse('100.00'), 3).map(String)).toEqual(['33.33', '33.33', '33.34']);
    expect(lessonAllocation(Money.parse('99.99'), 1)).toEqual({ count: 1, regular: '99.99', last: '99.99' });
    expect(consumeAll(Money.parse('1000', 'JPY'), 3).map(String)).toEqual(['333', '333', '334']);
  });

  it('a withdrawn lesson gives its amount back: the next lesson is priced as if it never happened', () => {
    const total = Money.parse('100.00');
    const first = lessonAmount(total, 3, 0, Money.zero());
    // Lesson 2 consumed then withdrawn: the counters are back to one lesson consumed.
    expect(lessonAmount(total, 3, 1, first).toString()).toBe('33.33');
    expect(lessonAmount(total, 3, 2, first.plus(first)).toString()).toBe('33.34');
  });

  it('refuses a lesson beyond the last', () => {
    expect(() => lessonAmount(Money.parse('10.00'), 2, 2, Money.parse('10.00'))).toThrow(/No lesson left/);
    expect(() => lessonAmount(Money.parse('10.00'), 0, 0, Money.zero())).toThrow();
  });

  it('the lessons always add up to the total exactly, and differ by less than one lesson count of cents', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10_000_000_00n }), fc.integer({ min: 1, max: 1000 }), (minor, lessons) => {
        const total = Money.fromMinor(minor);
        const parts = consumeAll(total, lessons);
        expect(Money.sum(parts).eq(total)).toBe(true);
        expect(parts.every((p) => !p.isNegative())).toBe(true);
        const regular = parts[0];
        expect(parts.slice(0, -1).every((p) => p.eq(regular))).toBe(true);
        const extra = parts[parts.length - 1].minus(regular).toMinor();
        expect(extra >= 0n && extra < BigInt(lessons)).toBe(true);
        const shown = lessonAllocation(total, lessons);
        expect([shown.regular, shown.last]).toEqual([regular.toString(), parts[parts.length - 1].toString()]);
      }),
      { numRuns: 300 },
    );
  });
});
